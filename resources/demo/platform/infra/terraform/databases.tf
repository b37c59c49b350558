resource "aws_db_instance" "orders" {
  identifier              = "orders-${var.environment}"
  engine                  = "postgres"
  engine_version          = "16.3"
  instance_class          = "db.r6g.large"
  allocated_storage       = 200
  backup_retention_period = 14
  deletion_protection     = true
  skip_final_snapshot     = false

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_db_instance" "pricing" {
  identifier              = "pricing-${var.environment}"
  engine                  = "postgres"
  engine_version          = "16.3"
  instance_class          = "db.r6g.large"
  allocated_storage       = 100
  backup_retention_period = 14
  deletion_protection     = true
  skip_final_snapshot     = false

  lifecycle {
    prevent_destroy = true
  }
}
