"""How long the back office takes to open its busiest views on a large database.

Builds a fresh database with the addons, fills it with --chargers chargers (2
connectors each, a session per charger per day) and --meter-values meter values
(default 1,000,000), then, as the admin user over HTTP, times what the web
client asks for when staff open the Charging dashboard (the kanban's first
page, grouped by node) and the Sessions list (first 80 rows plus the count).
Prints the median of --repeat runs. A figure, not a test.

    .venv/bin/python benchmarks/backoffice_views.py [--chargers 1000] [--meter-values 1000000]
"""

import argparse
import http.cookiejar
import json
import statistics
import subprocess
import time
import urllib.request

from common import running_odoo

FILL = """
import datetime
env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
now = datetime.datetime.now()
chargers = env["ocpp.charger"].create(
    [{{"charge_point_id": f"BIG-{{i:05d}}", "last_seen": now}} for i in range({chargers})]
)
env["ocpp.connector"].create(
    [{{"charger_id": c.id, "connector_number": n, "status": "Available", "error_code": "NoError"}}
     for c in chargers for n in (1, 2)]
)
start = datetime.datetime(2026, 1, 1)
env["ocpp.transaction"].create(
    [{{"charger_id": c.id, "transaction_id": str(d), "id_tag": "TAG", "meter_start": 0,
       "meter_stop": 12000, "start_time": start + datetime.timedelta(days=d),
       "stop_time": start + datetime.timedelta(days=d, hours=1), "state": "completed"}}
     for c in chargers for d in range({days})]
)
env.cr.execute('''
    INSERT INTO ocpp_meter_value (transaction_id, charger_id, connector_number, company_id,
                                  timestamp, measurand, value, raw_value, unit)
    SELECT t.id, t.charger_id, 1, t.company_id, t.start_time + (g * interval '10 seconds'),
           'Energy.Active.Import.Register', g * 10, (g * 10)::text, 'Wh'
    FROM ocpp_transaction t, generate_series(1, %s) g
''', [{per_session}])
env.cr.execute("ANALYZE")
env.cr.commit()
print("filled", env["ocpp.charger"].search_count([]), env["ocpp.meter.value"].search_count([]))
"""

KANBAN = {
    "display_name": {},
    "status": {},
    "vendor": {},
    "model": {},
    "connector_badges": {},
    "active_power_kw": {},
    "active_energy_kwh": {},
    "is_online": {},
    "registration_state": {},
    "last_seen": {},
}
SESSIONS = {
    "start_time": {},
    "charger_id": {"fields": {"display_name": {}}},
    "connector_id": {"fields": {"display_name": {}}},
    "id_tag": {},
    "stop_time": {},
    "energy_kwh": {},
    "anomaly": {},
    "state": {},
}


class Client:
    def __init__(self, url, db):
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.rpc("/web/session/authenticate", {"db": db, "login": "admin", "password": "admin"})

    def rpc(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
        request = urllib.request.Request(
            self.url + path, body, {"Content-Type": "application/json"}
        )
        with self.opener.open(request) as answer:
            reply = json.load(answer)
        if "error" in reply:
            raise RuntimeError(reply["error"]["data"]["message"])
        return reply["result"]

    def call(self, model, method, *args, **kwargs):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


def timed(repeat, action):
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, default=1000)
    parser.add_argument("--meter-values", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=10, help="sessions per charger")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with running_odoo("views") as server:
        per_session = max(1, args.meter_values // (args.chargers * args.days))
        script = FILL.format(chargers=args.chargers, days=args.days, per_session=per_session)
        filled = subprocess.run(
            server.found.command("shell", "-d", server.db, "--no-http", "--log-level=warn"),
            input=script,
            text=True,
            capture_output=True,
            env={**server.found.env, **server.pg.env},
            check=True,
        )
        print(filled.stdout.strip().splitlines()[-1], flush=True)
        client = Client(server.url, server.db)

        def dashboard():
            client.call(
                "ocpp.charger",
                "web_read_group",
                [],
                ["node_id"],
                ["node_id"],
            )
            client.call("ocpp.charger", "web_search_read", [], specification=KANBAN, limit=40)

        def sessions():
            client.call("ocpp.transaction", "web_search_read", [], specification=SESSIONS, limit=80)

        def session_form():
            [first] = client.call("ocpp.transaction", "search", [], limit=1)
            client.call(
                "ocpp.transaction",
                "web_read",
                [first],
                specification={
                    **SESSIONS,
                    "meter_value_ids": {
                        "fields": {"timestamp": {}, "measurand": {}, "value": {}, "unit": {}},
                        "limit": 40,
                    },
                },
            )

        for name, action in (
            ("dashboard (kanban by node)", dashboard),
            ("sessions list", sessions),
            ("session form", session_form),
        ):
            print(f"{name:28} median {timed(args.repeat, action) * 1000:7.0f} ms", flush=True)


if __name__ == "__main__":
    main()
