from . import ocpp_command_wizard
