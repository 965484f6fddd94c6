"""Settings: TOML, then ARTHEXIS_BRIDGE_* variables, which win; errors say what to fix."""

from pathlib import Path

import pytest

from arthexis_bridge.settings import OdooSettings, SettingsError, load_settings

ODOO_ENV = {
    "ARTHEXIS_BRIDGE_ODOO_URL": "http://odoo.test:8069/",
    "ARTHEXIS_BRIDGE_ODOO_DB": "arthexis",
    "ARTHEXIS_BRIDGE_ODOO_LOGIN": "bridge-1",
    "ARTHEXIS_BRIDGE_ODOO_API_KEY": "secret-key",
}


def write(tmp_path, text):
    path = tmp_path / "bridge.toml"
    path.write_text(text)
    return path


def test_defaults_without_file_or_environment_are_standalone_on_port_9000():
    settings = load_settings(environ={})
    assert settings.host == "0.0.0.0"
    assert settings.port == 9000
    assert settings.data_dir == Path("~/.local/share/arthexis-bridge").expanduser()
    assert settings.outbox_path == settings.data_dir / "bridge.sqlite3"
    assert settings.heartbeat_interval == 300
    assert settings.sync_batch_size == 500
    assert settings.odoo is None
    assert settings.standalone


def test_toml_file_is_read_and_environment_wins(tmp_path):
    path = write(
        tmp_path,
        """
host = "10.0.0.5"
port = 9100
data_dir = "~/bridge-data"
heartbeat_interval = 60
[odoo]
url = "https://odoo.example.com"
db = "prod"
login = "bridge-7"
api_key = "from-file"
[sync]
batch_size = 50
""",
    )
    environ = {"ARTHEXIS_BRIDGE_PORT": "9200", "ARTHEXIS_BRIDGE_ODOO_API_KEY": "from-env"}
    settings = load_settings(path, environ)
    assert settings.host == "10.0.0.5"
    assert settings.port == 9200
    assert settings.data_dir == Path.home() / "bridge-data"
    assert settings.heartbeat_interval == 60
    assert settings.sync_batch_size == 50
    assert settings.odoo == OdooSettings("https://odoo.example.com", "prod", "bridge-7", "from-env")
    assert not settings.standalone


def test_odoo_from_environment_only_and_url_trailing_slash_dropped():
    settings = load_settings(environ={**ODOO_ENV, "ARTHEXIS_BRIDGE_SYNC_BATCH": "25"})
    assert settings.odoo == OdooSettings(
        "http://odoo.test:8069", "arthexis", "bridge-1", "secret-key"
    )
    assert settings.sync_batch_size == 25


def test_api_key_is_not_shown_in_repr():
    assert "secret-key" not in repr(load_settings(environ=ODOO_ENV))


def test_partial_odoo_configuration_names_the_missing_settings():
    environ = {k: v for k, v in ODOO_ENV.items() if not k.endswith(("LOGIN", "API_KEY"))}
    with pytest.raises(SettingsError) as caught:
        load_settings(environ=environ)
    message = str(caught.value)
    assert "ARTHEXIS_BRIDGE_ODOO_LOGIN" in message
    assert "ARTHEXIS_BRIDGE_ODOO_API_KEY" in message
    assert "ARTHEXIS_BRIDGE_ODOO_URL" not in message
    assert "standalone" in message


def test_empty_environment_variables_count_as_unset():
    """docker compose passes ARTHEXIS_BRIDGE_ODOO_*= when .env leaves them out."""
    environ = {key: "" for key in ODOO_ENV} | {"ARTHEXIS_BRIDGE_PORT": ""}
    settings = load_settings(environ=environ)
    assert settings.standalone
    assert settings.port == 9000


@pytest.mark.parametrize("port", ["abc", "70000", "-1", "9000.5"])
def test_bad_port_in_environment_says_which_setting_and_what_to_fix(port):
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"ARTHEXIS_BRIDGE_PORT": port})
    message = str(caught.value)
    assert "ARTHEXIS_BRIDGE_PORT" in message
    assert repr(port) in message
    assert "1 to 65535" in message


def test_bad_port_in_toml_names_the_key_and_file(tmp_path):
    path = write(tmp_path, 'port = "nine thousand"\n')
    with pytest.raises(SettingsError, match=r"port in .*bridge\.toml is 'nine thousand'"):
        load_settings(path, {})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ARTHEXIS_BRIDGE_HEARTBEAT_INTERVAL", "0"),
        ("ARTHEXIS_BRIDGE_SYNC_BATCH", "many"),
        ("ARTHEXIS_BRIDGE_ODOO_URL", "odoo.example.com"),
    ],
)
def test_other_bad_values_name_their_variable(variable, value):
    with pytest.raises(SettingsError, match=variable):
        load_settings(environ={variable: value})


def test_unknown_toml_key_is_an_error_naming_it(tmp_path):
    path = write(tmp_path, 'prot = 9000\n[odoo]\nurl = "http://x"\nkey = "k"\n')
    with pytest.raises(SettingsError) as caught:
        load_settings(path, {})
    assert "prot" in str(caught.value)
    assert "odoo.key" in str(caught.value)


def test_missing_or_invalid_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nowhere.toml", {})
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(write(tmp_path, "port = \n"), {})


def test_frame_size_and_id_tag_settings_have_safe_defaults():
    settings = load_settings(environ={})
    assert settings.max_frame_bytes == 65536
    assert settings.unknown_tags == "reject"
    assert settings.id_tag_case_insensitive is True


def test_frame_size_and_id_tag_settings_from_toml_and_environment(tmp_path):
    path = write(
        tmp_path,
        'max_frame_bytes = 131072\nunknown_tags = "accept"\nid_tag_case_insensitive = false\n',
    )
    from_file = load_settings(path, {})
    assert (from_file.max_frame_bytes, from_file.unknown_tags) == (131072, "accept")
    assert from_file.id_tag_case_insensitive is False
    environ = {
        "ARTHEXIS_BRIDGE_MAX_FRAME_BYTES": "2048",
        "ARTHEXIS_BRIDGE_UNKNOWN_TAGS": "Reject",
        "ARTHEXIS_BRIDGE_ID_TAG_CASE_INSENSITIVE": "yes",
    }
    from_env = load_settings(path, environ)
    assert (from_env.max_frame_bytes, from_env.unknown_tags) == (2048, "reject")
    assert from_env.id_tag_case_insensitive is True


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ARTHEXIS_BRIDGE_MAX_FRAME_BYTES", "100", "a number of bytes, at least 1024"),
        ("ARTHEXIS_BRIDGE_UNKNOWN_TAGS", "maybe", "accept or reject"),
        ("ARTHEXIS_BRIDGE_ID_TAG_CASE_INSENSITIVE", "sometimes", "true or false"),
    ],
)
def test_bad_frame_size_and_id_tag_settings_say_what_to_fix(variable, value, expected):
    with pytest.raises(SettingsError, match=f"{variable} is '{value}': expected {expected}"):
        load_settings(environ={variable: value})


def test_charger_and_security_settings_have_open_defaults():
    settings = load_settings(environ={})
    assert settings.unknown_chargers == "accept"
    assert settings.charger_refresh == 60
    assert settings.security_profile == 0
    assert (settings.tls_cert, settings.tls_key, settings.tls_ca) == (None, None, None)


def test_charger_and_security_settings_from_toml_and_environment(tmp_path):
    path = write(
        tmp_path,
        'unknown_chargers = "pending"\ncharger_refresh = 30\nsecurity_profile = 3\n'
        '[tls]\ncert = "/etc/b/server.pem"\nkey = "/etc/b/server.key"\nca = "~/ca.pem"\n',
    )
    from_file = load_settings(path, {})
    assert (from_file.unknown_chargers, from_file.charger_refresh) == ("pending", 30)
    assert from_file.security_profile == 3
    assert from_file.tls_cert == Path("/etc/b/server.pem")
    assert from_file.tls_key == Path("/etc/b/server.key")
    assert from_file.tls_ca == Path.home() / "ca.pem"
    environ = {
        "ARTHEXIS_BRIDGE_UNKNOWN_CHARGERS": "Reject",
        "ARTHEXIS_BRIDGE_CHARGER_REFRESH": "5",
        "ARTHEXIS_BRIDGE_SECURITY_PROFILE": "1",
        "ARTHEXIS_BRIDGE_TLS_CERT": "/other.pem",
    }
    from_env = load_settings(path, environ)
    assert (from_env.unknown_chargers, from_env.charger_refresh) == ("reject", 5)
    assert (from_env.security_profile, from_env.tls_cert) == (1, Path("/other.pem"))


@pytest.mark.parametrize(
    ("environ", "named", "not_named"),
    [
        ({"ARTHEXIS_BRIDGE_SECURITY_PROFILE": "2"}, ["TLS_CERT", "TLS_KEY"], ["TLS_CA"]),
        (
            {"ARTHEXIS_BRIDGE_SECURITY_PROFILE": "3", "ARTHEXIS_BRIDGE_TLS_CERT": "c.pem"},
            ["TLS_KEY", "TLS_CA"],
            ["TLS_CERT"],
        ),
    ],
)
def test_tls_profiles_without_their_certificates_are_refused(environ, named, not_named):
    with pytest.raises(SettingsError) as caught:
        load_settings(environ=environ)
    message = str(caught.value)
    assert f"security profile {environ['ARTHEXIS_BRIDGE_SECURITY_PROFILE']}" in message
    for name in named:
        assert f"ARTHEXIS_BRIDGE_{name}" in message
    for name in not_named:
        assert f"ARTHEXIS_BRIDGE_{name}" not in message


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ARTHEXIS_BRIDGE_UNKNOWN_CHARGERS", "maybe", "accept, pending or reject"),
        ("ARTHEXIS_BRIDGE_SECURITY_PROFILE", "4", "0 (none), 1 (Basic)"),
        ("ARTHEXIS_BRIDGE_CHARGER_REFRESH", "0", "a whole number of seconds, at least 1"),
    ],
)
def test_bad_charger_and_security_settings_say_what_to_fix(variable, value, expected):
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={variable: value})
    assert f"{variable} is {value!r}: expected {expected}" in str(caught.value)
