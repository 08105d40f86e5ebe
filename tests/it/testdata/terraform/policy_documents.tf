data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}
data "aws_iam_policy_document" "rich" {
  policy_id = "p1"
  statement {
    sid       = "ReadBuckets"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetObject", "s3:GetObject"]
    resources = ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = ["123456789012"]
    }
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["home/", "home/*"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalTag/team"
      values   = ["a"]
    }
  }
  statement {
    effect        = "Deny"
    not_actions   = ["iam:*"]
    not_resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::123456789012:root", "arn:aws:iam::111111111111:root"]
    }
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    not_principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
  statement {
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "merged" {
  source_policy_documents   = [data.aws_iam_policy_document.assume.json]
  override_policy_documents = [jsonencode({ Version = "2012-10-17", Statement = [{ Sid = "X", Effect = "Allow", Action = "ec2:*", Resource = "*" }] })]
  statement {
    sid       = "X"
    actions   = ["s3:*"]
    resources = ["*"]
  }
  statement {
    sid       = "Y"
    actions   = ["kms:Decrypt"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "empty" {}
output "assume" { value = data.aws_iam_policy_document.assume.json }
output "assume_min" { value = data.aws_iam_policy_document.assume.minified_json }
output "assume_id" { value = data.aws_iam_policy_document.assume.id }
output "rich" { value = data.aws_iam_policy_document.rich.json }
output "merged" { value = data.aws_iam_policy_document.merged.json }
output "empty" { value = data.aws_iam_policy_document.empty.json }
