"""OCPP vocabularies shared by the charging models."""

CONNECTOR_STATUSES = [
    ("Available", "Available"),
    ("Preparing", "Preparing"),
    ("Charging", "Charging"),
    ("SuspendedEVSE", "Suspended by charger"),
    ("SuspendedEV", "Suspended by vehicle"),
    ("Finishing", "Finishing"),
    ("Reserved", "Reserved"),
    ("Occupied", "Occupied"),
    ("Unavailable", "Unavailable"),
    ("Faulted", "Faulted"),
]

ERROR_CODES = [
    ("NoError", "No error"),
    ("ConnectorLockFailure", "Connector lock failure"),
    ("EVCommunicationError", "EV communication error"),
    ("GroundFailure", "Ground failure"),
    ("HighTemperature", "High temperature"),
    ("InternalError", "Internal error"),
    ("LocalListConflict", "Local list conflict"),
    ("OtherError", "Other error"),
    ("OverCurrentFailure", "Over current failure"),
    ("OverVoltage", "Over voltage"),
    ("PowerMeterFailure", "Power meter failure"),
    ("PowerSwitchFailure", "Power switch failure"),
    ("ReaderFailure", "Reader failure"),
    ("ResetFailure", "Reset failure"),
    ("UnderVoltage", "Under voltage"),
    ("WeakSignal", "Weak signal"),
]

PROTOCOLS = [
    ("ocpp1.6", "OCPP 1.6J"),
    ("ocpp2.0.1", "OCPP 2.0.1"),
    ("ocpp2.1", "OCPP 2.1"),
]
