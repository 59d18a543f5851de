/// The API's JSON value is part of Tessera's interface (the command line prints it, tests compare it).
@_exported import ZabbixJSON
