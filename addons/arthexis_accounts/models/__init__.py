from . import arthexis_rfid
