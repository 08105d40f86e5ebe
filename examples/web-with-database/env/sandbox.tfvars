# Small and disposable: one server, the smallest database, deleted without fuss.
servers           = 1
instance_type     = "t3.micro"
db_instance_class = "db.t3.micro"
