# The cost dashboard reads the billing export and nothing else.
resource "aws_iam_policy" "cost_explorer_read" {
  name = "cost-explorer-read"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:ListBucket"]
        Resource = ["arn:aws:s3:::larkspur-billing-exports", "arn:aws:s3:::larkspur-billing-exports/*"]
      },
      {
        Effect   = "Allow"
        Action   = ["ce:GetCostAndUsage"]
        Resource = ["*"]
      }
    ]
  })
}
