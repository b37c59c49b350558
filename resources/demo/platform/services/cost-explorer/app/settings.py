"""Settings of the cost dashboard, from the environment (credentials come from the pod's IAM role)."""

from __future__ import annotations

import os

AWS_REGION = os.environ.get("AWS_REGION", "eu-west-1")
BILLING_BUCKET = os.environ.get("BILLING_BUCKET", "larkspur-billing-exports")
REPORT_CURRENCY = "EUR"
