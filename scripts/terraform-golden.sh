#!/usr/bin/env bash
# Regenerates what the real Terraform (with the hashicorp/aws provider from a
# filesystem mirror) says, for tests that compare iac with it. Needs `terraform`
# and the provider mirror; CI never runs this: it reads the committed files.
#   scripts/terraform-golden.sh [MIRROR_DIR]   (default: the folder above registry.terraform.io under /opt)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mirror="${1:-$(dirname "$(dirname "$(dirname "$(find / -xdev -maxdepth 6 -type d -path '*registry.terraform.io/hashicorp/aws' 2>/dev/null | head -1)")")")}"
out="$root/tests/it/testdata/terraform"
work="$(mktemp -d)"
trap 'rm -rf "$work"; [ -n "${MOTO_PID:-}" ] && kill "$MOTO_PID" 2>/dev/null || true' EXIT
eval "$("$root/scripts/moto.sh")"
printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$mirror" > "$work/tf.rc"
export TF_CLI_CONFIG_FILE="$work/tf.rc"
regions="af-south-1 ap-east-1 ap-northeast-1 ap-northeast-2 ap-northeast-3 ap-south-1 ap-south-2 ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5 ap-southeast-7 ca-central-1 ca-west-1 cn-north-1 cn-northwest-1 eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2 eu-west-1 eu-west-2 eu-west-3 il-central-1 me-central-1 me-south-1 mx-central-1 sa-east-1 us-east-1 us-east-2 us-gov-east-1 us-gov-west-1 us-west-1 us-west-2"
{
  printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "5.100.0" }\n  }\n}\n'
  for p in $regions; do
    k="${p//-/_}"
    printf 'provider "aws" {\n  alias = "%s"\n  region = "%s"\n  access_key = "test"\n  secret_key = "test"\n  skip_credentials_validation = true\n  skip_requesting_account_id = true\n  skip_metadata_api_check = true\n  skip_region_validation = true\n}\n' "$k" "$p"
    printf 'data "aws_region" "%s" {\n  provider = aws.%s\n}\ndata "aws_partition" "%s" {\n  provider = aws.%s\n}\n' "$k" "$k" "$k" "$k"
    printf 'output "%s" {\n  value = join("\\t", [data.aws_region.%s.name, data.aws_region.%s.description, data.aws_region.%s.endpoint, data.aws_partition.%s.partition, data.aws_partition.%s.dns_suffix, data.aws_partition.%s.reverse_dns_prefix])\n}\n' "$k" "$k" "$k" "$k" "$k" "$k" "$k"
  done
} > "$work/main.tf"
(cd "$work" && terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null && terraform output -json) \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("\n".join(v["value"] for _,v in sorted(d.items())))' > "$out/regions.txt"
echo "wrote $out/regions.txt" >&2

# S3 in every region: a bucket's hosted zone id, and a website bucket's endpoint
# and domain as the data source reads them (tests/it/s3.rs compares iac's).
s3r="$work/s3_regions"
mkdir -p "$s3r"
{
  printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "5.100.0" }\n  }\n}\n'
  for p in $regions; do
    k="${p//-/_}"
    printf 'provider "aws" {\n  alias = "%s"\n  region = "%s"\n  access_key = "test"\n  secret_key = "test"\n  skip_credentials_validation = true\n  skip_requesting_account_id = true\n  skip_metadata_api_check = true\n  skip_region_validation = true\n  s3_use_path_style = true\n}\n' "$k" "$p"
    printf 'resource "aws_s3_bucket" "%s" {\n  provider = aws.%s\n  bucket = "hz-%s"\n}\n' "$k" "$k" "$p"
    printf 'resource "aws_s3_bucket_website_configuration" "%s" {\n  provider = aws.%s\n  bucket = aws_s3_bucket.%s.id\n  index_document {\n    suffix = "index.html"\n  }\n}\n' "$k" "$k" "$k"
    printf 'data "aws_s3_bucket" "%s" {\n  provider = aws.%s\n  bucket = aws_s3_bucket_website_configuration.%s.id\n}\n' "$k" "$k" "$k"
    printf 'output "%s" {\n  value = join("\\t", [data.aws_s3_bucket.%s.region, aws_s3_bucket.%s.hosted_zone_id, data.aws_s3_bucket.%s.hosted_zone_id, data.aws_s3_bucket.%s.website_endpoint, data.aws_s3_bucket.%s.website_domain])\n}\n' "$k" "$k" "$k" "$k" "$k" "$k"
  done
} > "$s3r/main.tf"
(cd "$s3r" && terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null && terraform output -json) \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("\n".join(v["value"] for _,v in sorted(d.items())))' > "$out/s3_regions.txt"
echo "wrote $out/s3_regions.txt" >&2

# IAM policy documents: the same blocks under Terraform and iac (tests/it/aws.rs
# renders testdata/terraform/policy_documents.tf and compares).
pd="$work/policy_documents"
mkdir -p "$pd"
{
  printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "5.100.0" }\n  }\n}\n'
  printf 'provider "aws" {\n  region = "us-east-1"\n  access_key = "test"\n  secret_key = "test"\n  skip_credentials_validation = true\n  skip_requesting_account_id = true\n  skip_metadata_api_check = true\n}\n'
  cat "$out/policy_documents.tf"
} > "$pd/main.tf"
(cd "$pd" && terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null && terraform output -json) \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); json.dump({k: v["value"] for k, v in sorted(d.items())}, sys.stdout, indent=1, sort_keys=True)' > "$out/policy_documents.json"
echo "wrote $out/policy_documents.json" >&2

# Functions: outputs of testdata/terraform/functions.tf as Terraform evaluates them
# (tests/it/functions.rs evaluates the same file under iac and compares).
fn_dir="$work/functions"
mkdir -p "$fn_dir"
cp "$out/functions.tf" "$fn_dir/main.tf"
(cd "$fn_dir" && terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null && terraform output -json) \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); json.dump({k: v["value"] for k, v in sorted(d.items())}, sys.stdout, indent=1, sort_keys=True)' > "$out/functions.json"
echo "wrote $out/functions.json" >&2

# base64gzip's bytes: testdata/terraform/gzip.tf as Terraform compresses it
# (tests/it/functions.rs compresses the same inputs under iac and compares).
gz_dir="$work/gzip"
mkdir -p "$gz_dir"
cp "$out/gzip.tf" "$gz_dir/main.tf"
(cd "$gz_dir" && terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null && terraform output -json) \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); json.dump({k: v["value"] for k, v in sorted(d.items())}, sys.stdout, indent=1, sort_keys=True)' > "$out/gzip.json"
echo "wrote $out/gzip.json" >&2

# The expression conformance suite: what Terraform gives for every case of
# tests/conformance/expressions.txt (crates/iac-engine/tests/engine/conformance.rs).
python3 "$root/scripts/conformance-golden.py"

# Adoption: states Terraform wrote, for `iac init -migrate-state` to take over
# (tests/it/adopt.rs). terraform_data (with a module, count, for_each,
# create_before_destroy, a sensitive variable and output), the same after a
# `terraform taint`, and a small AWS stack applied against moto.
ad="$work/adopt"
cp -r "$out/adopt" "$ad"
rm -f "$ad"/*.tfstate
(cd "$ad" && terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null)
cp "$ad/terraform.tfstate" "$out/adopt/terraform.tfstate"
(cd "$ad" && terraform taint 'terraform_data.counted[1]' >/dev/null)
cp "$ad/terraform.tfstate" "$out/adopt/tainted.tfstate"
echo "wrote $out/adopt/{terraform,tainted}.tfstate" >&2
aws_ad="$work/adopt_aws"
mkdir -p "$aws_ad"
cp "$out/adopt_aws/main.tf" "$aws_ad/main.tf"
printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "5.100.0" }\n  }\n}\nprovider "aws" {\n  region = "us-east-1"\n  access_key = "test"\n  secret_key = "test"\n  skip_credentials_validation = true\n  skip_requesting_account_id = true\n  skip_metadata_api_check = true\n}\n' > "$aws_ad/provider.tf"
(cd "$aws_ad" && terraform init -input=false >/dev/null && terraform apply -auto-approve -input=false >/dev/null)
cp "$aws_ad/terraform.tfstate" "$out/adopt_aws/terraform.tfstate"
echo "wrote $out/adopt_aws/terraform.tfstate" >&2

# What Terraform says of a state iac wrote: it must refuse it, never read it as
# an empty state of its own (tests/it/adopt.rs checks iac still writes that shape).
iac_dir="$work/iac_state"
mkdir -p "$iac_dir"
printf 'resource "terraform_data" "a" {\n  input = "kept"\n}\n' > "$iac_dir/main.tf"
(cd "$root" && cargo build --quiet -p iac-cli)
iac_bin="${CARGO_TARGET_DIR:-$root/target}/debug/iac"
(cd "$iac_dir" && "$iac_bin" apply -auto-approve >/dev/null)
{
  echo "\$ terraform state list -state=iac.tfstate"
  (cd "$iac_dir" && terraform state list -no-color -state=iac.tfstate 2>&1 || true)
  echo "\$ terraform state push iac.tfstate"
  (cd "$iac_dir" && rm -rf .iac && mv main.tf main.tf.off && terraform init -input=false >/dev/null && terraform state push iac.tfstate 2>&1 | sed 's/\x1b\[[0-9;]*m//g' || true)
} > "$out/adopt/terraform_reads_iac_state.txt"
echo "wrote $out/adopt/terraform_reads_iac_state.txt" >&2

# The names (arguments, blocks, attributes) Terraform's AWS provider has for each
# AWS type iac has: tests/it/schemas.rs checks that iac offers each of them or
# names it as not supported, with why.
names="$work/names"
mkdir -p "$names"
printf 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "5.100.0" }\n  }\n}\n' > "$names/main.tf"
(cd "$names" && terraform init -input=false >/dev/null && terraform providers schema -json) > "$names/schema.json"
python3 - "$names/schema.json" "$root/schemas" > "$out/aws_names.json" <<'PY'
import json, os, sys
tf = json.load(open(sys.argv[1]))["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
def names(block):
    # A block's arguments (its nested blocks among them) and computed attributes,
    # and each nested block's names in turn.
    attrs = block.get("attributes", {})
    out = {
        "arguments": sorted([n for n, a in attrs.items() if a.get("optional") or a.get("required")] + list(block.get("block_types", {}))),
        "computed": sorted(n for n, a in attrs.items() if not (a.get("optional") or a.get("required"))),
    }
    nested = {n: names(b["block"]) for n, b in block.get("block_types", {}).items()}
    if nested:
        out["blocks"] = nested
    return out

out = {}
for kind, folder, key in [("resources", "resources", "resource_schemas"), ("data_sources", "data-sources", "data_source_schemas")]:
    out[kind] = {}
    for f in sorted(os.listdir(os.path.join(sys.argv[2], folder))):
        doc = json.load(open(os.path.join(sys.argv[2], folder, f)))
        block = tf[key].get(doc["type"], {}).get("block") if doc["provider"] == "aws" else None
        if block is None:
            continue
        out[kind][doc["type"]] = names(block)
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
PY
echo "wrote $out/aws_names.json" >&2
python3 - "$names/schema.json" > "$root/providers/aws/src/terraform_types.txt" <<'PY'
import json, sys
tf = json.load(open(sys.argv[1]))["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
print("# Every resource and data source type of Terraform's AWS provider 5.100.0")
print("# (terraform providers schema -json; regenerated by scripts/terraform-golden.sh).")
print("# A type iac lacks is named as not supported yet, rather than guessed at.")
for t in sorted(tf["resource_schemas"]):
    print("resource " + t)
for t in sorted(tf["data_source_schemas"]):
    print("data " + t)
PY
echo "wrote providers/aws/src/terraform_types.txt" >&2
