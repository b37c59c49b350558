#!/bin/sh
# Show what Terraform would change; applying is done by the deploy pipeline after review.
set -eu
cd "$(dirname "$0")/../terraform"
terraform init -input=false
terraform plan -input=false -var "environment=${1:-staging}"
