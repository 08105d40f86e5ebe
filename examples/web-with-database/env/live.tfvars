# Production sizes: three servers, a bigger database with a standby, protected
# from deletion (a destroy is refused at plan time until this is turned off).
servers                = 3
instance_type          = "t3.small"
db_instance_class      = "db.t3.medium"
db_storage_gb          = 100
db_multi_az            = true
db_deletion_protection = true
