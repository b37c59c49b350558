terraform {
  required_version = ">= 1.7"
  backend "s3" {
    bucket = "larkspur-terraform-state"
    key    = "production/terraform.tfstate"
    region = "eu-west-1"
  }
}

provider "aws" {
  region = var.region
}
