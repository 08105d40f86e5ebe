//! What Terraform's AWS provider has for the types iac has and iac does not
//! offer, each with why. Writing one is error E0221 with the reason, never a
//! silently ignored argument; the test `every_terraform_argument_is_offered_or_refused_with_a_reason`
//! (tests/it/schemas.rs) keeps this ledger complete against the provider's own
//! schema (testdata/terraform/aws_names.json). Supporting a name means removing
//! it here.

use iac_provider::ProviderSchema;

pub(crate) const RESOURCES: &[(&str, &[&str], &str)] = &[
    ("aws_acm_certificate", &["early_renewal_duration"], "renewing a private certificate ahead of ACM's managed renewal is not supported: moto 5.2.5 has no RenewCertificate to test it against, and ACM renews private certificates itself before they expire"),
    ("aws_alb", &["customer_owned_ipv4_pool"], "AWS Outposts (customer-owned IP pools, outpost placement) are not supported: iac manages resources in AWS Regions"),
    ("aws_alb", &["ipam_pools"], "IPAM pools are not supported: iac has no aws_vpc_ipam_pool to allocate from; give the CIDR block itself"),
    ("aws_alb", &["minimum_load_balancer_capacity"], "reserving load balancer capacity (LCU reservations) is not supported: moto 5.2.5 has no ModifyCapacityReservation (and reports a fixed reservation), so it cannot be tested"),
    ("aws_alb_target_group_attachment", &["availability_zone"], "registering a target outside the target group's VPC (an IP target in another zone) is not supported: iac registers instances"),
    ("aws_autoscaling_group", &["traffic_source"], "not supported: moto 5.2.5 has no AttachTrafficSources to test against; use target_group_arns, load_balancers or aws_autoscaling_attachment, which name the same target groups"),
    ("aws_db_instance", &["domain", "domain_auth_secret_arn", "domain_dns_ips", "domain_fqdn", "domain_iam_role_name", "domain_ou"], "Active Directory domain membership of a DB instance is not supported"),
    ("aws_db_instance", &["s3_import"], "restoring a DB instance from a backup in S3 is not supported (moto 5.2.5 has no RestoreDBInstanceFromS3 to test against); iac makes one empty, as a read replica (replicate_source_db), from a snapshot (snapshot_identifier) or to a point in time (restore_to_point_in_time)"),
    ("aws_db_instance", &["customer_owned_ip_enabled", "backup_target"], "AWS Outposts (customer-owned IP pools, outpost placement) are not supported: iac manages resources in AWS Regions"),
    ("aws_db_instance", &["custom_iam_instance_profile"], "RDS Custom is not supported"),
    ("aws_default_route_table", &["propagating_vgws"], "route propagation from virtual private gateways is not supported: moto 5.2.5 has no EnableVgwRoutePropagation to test against; write the routes to the gateway (route blocks or aws_route with gateway_id = aws_vpn_gateway.x.id)"),
    ("aws_default_subnet", &["customer_owned_ipv4_pool", "map_customer_owned_ip_on_launch", "outpost_arn"], "AWS Outposts (customer-owned IP pools, outpost placement) are not supported: iac manages resources in AWS Regions"),
    ("aws_default_subnet", &["ipv6_native"], "IPv6-only subnets are not supported: moto 5.2.5 answers for one with an address count (2^64 - 5) the AWS SDK cannot read, so they cannot be tested"),
    ("aws_default_subnet", &["outpost_arn"], "AWS Outposts (customer-owned IP pools, outpost placement) are not supported: iac manages resources in AWS Regions"),
    ("aws_default_vpc", &["ipv6_cidr_block", "ipv6_ipam_pool_id", "ipv6_netmask_length"], "IPv6 blocks from IPAM pools are not supported: iac has no aws_vpc_ipam_pool to allocate from (moto 5.2.5 has no IPAM); ask for an Amazon-provided block with assign_generated_ipv6_cidr_block"),
    ("aws_eip", &["ipam_pool_id"], "IPAM pools are not supported: iac has no aws_vpc_ipam_pool to allocate from; give the CIDR block itself"),
    ("aws_eip", &["vpc"], "deprecated in the AWS provider: use domain = \"vpc\""),
    ("aws_eip", &["carrier_ip", "customer_owned_ip"], "Wavelength carrier addresses and Outposts customer-owned addresses are not supported"),
    ("aws_iam_access_key", &["encrypted_secret", "encrypted_ses_smtp_password_v4", "key_fingerprint"], "encrypting the secret with a PGP key (pgp_key) is not supported: iac keeps the secret itself only as a fingerprint"),
    ("aws_iam_access_key", &["ses_smtp_password_v4"], "the SES SMTP password derived from the secret is not supported: iac keeps no plaintext secret to derive it from"),
    ("aws_iam_role", &["inline_policy", "managed_policy_arns"], "deprecated in the AWS provider (exclusive policy management moved to aws_iam_role_policies_exclusive and aws_iam_role_policy_attachments_exclusive): use aws_iam_role_policy and aws_iam_role_policy_attachment"),
    ("aws_instance", &["cpu_core_count", "cpu_threads_per_core"], "deprecated in the AWS provider: use a cpu_options block"),
    ("aws_kms_key", &["custom_key_store_id", "xks_key_id"], "custom key stores (CloudHSM, external) are not supported"),
    ("aws_launch_template", &["elastic_gpu_specifications", "elastic_inference_accelerator"], "AWS retired Elastic Graphics and Elastic Inference; new instances cannot use them"),
    ("aws_lb", &["customer_owned_ipv4_pool"], "AWS Outposts (customer-owned IP pools, outpost placement) are not supported: iac manages resources in AWS Regions"),
    ("aws_lb", &["ipam_pools"], "IPAM pools are not supported: iac has no aws_vpc_ipam_pool to allocate from; give the CIDR block itself"),
    ("aws_lb", &["minimum_load_balancer_capacity"], "reserving load balancer capacity (LCU reservations) is not supported: moto 5.2.5 has no ModifyCapacityReservation (and reports a fixed reservation), so it cannot be tested"),
    ("aws_lb_target_group_attachment", &["availability_zone"], "registering a target outside the target group's VPC (an IP target in another zone) is not supported: iac registers instances"),
    ("aws_nat_gateway", &["secondary_private_ip_address_count", "secondary_private_ip_addresses"], "secondary private addresses on a NAT gateway are not supported: moto 5.2.5 keeps none (and has no AssignPrivateNatGatewayAddress), so they cannot be tested"),
    ("aws_network_interface", &["ipv4_prefix_count", "ipv4_prefixes", "ipv6_prefix_count", "ipv6_prefixes"], "prefix delegation (address prefixes for containers) is not supported: moto 5.2.5 assigns no prefixes to test against; give addresses (private_ips, ipv6_addresses) or counts"),
    ("aws_route", &["core_network_arn"], "AWS Cloud WAN core networks are not supported"),
    ("aws_route_table", &["propagating_vgws"], "route propagation from virtual private gateways is not supported: moto 5.2.5 has no EnableVgwRoutePropagation to test against; write the routes to the gateway (route blocks or aws_route with gateway_id = aws_vpn_gateway.x.id)"),
    ("aws_s3_bucket", &["acceleration_status"], "Transfer Acceleration is not supported: moto 5.2.5 answers GetBucketAccelerateConfiguration with an XML root the AWS SDK cannot read, so it cannot be tested; iac takes acl, grant, policy, versioning, server_side_encryption_configuration, cors_rule, website, logging, lifecycle_rule, object_lock_configuration and replication_configuration inline"),
    ("aws_s3_bucket", &["request_payer"], "Requester Pays is not supported: moto 5.2.5 has no PutBucketRequestPayment/GetBucketRequestPayment to test against; iac takes acl, grant, policy, versioning, server_side_encryption_configuration, cors_rule, website, logging, lifecycle_rule, object_lock_configuration and replication_configuration inline"),
    ("aws_s3_bucket_versioning", &["mfa"], "MFA delete needs the root user's MFA device for each call; iac does not support it"),
    ("aws_secretsmanager_secret", &["policy"], "deprecated in the AWS provider: use aws_secretsmanager_secret_policy"),
    ("aws_ssm_parameter", &["arn"], "not supported: the ARN is computed from the name"),
    ("aws_subnet", &["customer_owned_ipv4_pool", "map_customer_owned_ip_on_launch", "outpost_arn"], "AWS Outposts (customer-owned IP pools, outpost placement) are not supported: iac manages resources in AWS Regions"),
    ("aws_subnet", &["ipv6_native"], "IPv6-only subnets are not supported: moto 5.2.5 answers for one with an address count (2^64 - 5) the AWS SDK cannot read, so they cannot be tested; a dual-stack subnet (ipv6_cidr_block with cidr_block) is supported"),
    ("aws_vpc", &["ipv6_cidr_block", "ipv6_ipam_pool_id", "ipv6_netmask_length"], "IPv6 blocks from IPAM pools are not supported: iac has no aws_vpc_ipam_pool to allocate from (moto 5.2.5 has no IPAM); ask for an Amazon-provided block with assign_generated_ipv6_cidr_block"),
    ("aws_vpc_endpoint", &["resource_configuration_arn", "service_network_arn"], "VPC Lattice endpoints (Resource and ServiceNetwork types) are not supported: iac has no VPC Lattice types, and moto 5.2.5 has none to test against; Gateway and Interface endpoints are"),
    ("aws_vpc_endpoint", &["service_region"], "endpoints to a service in another region are not supported: moto 5.2.5 has no cross-region endpoints to test against; the service is in the endpoint's region"),
    ("aws_vpc", &["ipv4_ipam_pool_id", "ipv4_netmask_length"], "IPAM pools are not supported: iac has no aws_vpc_ipam_pool to allocate from; give the CIDR block itself"),
];

pub(crate) const DATA_SOURCES: &[(&str, &[&str], &str)] = &[
    ("aws_alb", &["customer_owned_ipv4_pool", "ipam_pools"], "not read: iac's load balancers are in AWS Regions with addresses AWS assigns (no Outposts pools, no IPAM pools)"),
    ("aws_lb", &["customer_owned_ipv4_pool", "ipam_pools"], "not read: iac's load balancers are in AWS Regions with addresses AWS assigns (no Outposts pools, no IPAM pools)"),
    ("aws_ami", &["uefi_data"], "not read: it takes a DescribeImageAttribute call, which moto 5.2.5 answers for uefiData with an internal error, so it cannot be tested"),
    ("aws_ami", &["tags"], "the data source reads the tags (as tags); they are not a filter, so there is nothing to set"),
    ("aws_iam_policy_document", &["override_json", "source_json"], "deprecated in the AWS provider: use override_policy_documents and source_policy_documents"),
    ("aws_iam_role", &["tags"], "the data source reads the tags (as tags); they are not a filter, so there is nothing to set"),
    ("aws_secretsmanager_secret", &["tags"], "the data source reads the tags (as tags); they are not a filter, so there is nothing to set"),
    ("aws_subnet", &["customer_owned_ipv4_pool", "map_customer_owned_ip_on_launch", "outpost_arn"], "AWS Outposts (customer-owned IP pools, outpost placement) are not supported: iac manages resources in AWS Regions"),
];

/// Arguments the AWS provider added after 5.100.0 (its 6.x releases, which
/// modules written today pass, null unless their caller sets them), that iac
/// does not offer. Each reason starts with "AWS provider 6": the ledger test
/// checks the names above against 5.100.0's schema, and these are not in it. A
/// dotted name is an argument of a nested block (`rule.blocked_encryption_types`).
pub(crate) const PROVIDER_6: &[(&str, &[&str], &str)] = &[
    ("aws_s3_bucket", &["bucket_namespace"], "AWS provider 6: account-regional bucket namespaces are not supported (moto 5.2.5 has none to test against); iac makes buckets in the global namespace, which is what leaving it out asks for"),
    ("aws_lb", &["health_check_logs"], "AWS provider 6: health check logs of an application load balancer are not supported (moto 5.2.5 has no such attribute to test against)"),
    ("aws_alb", &["health_check_logs"], "AWS provider 6: health check logs of an application load balancer are not supported (moto 5.2.5 has no such attribute to test against)"),
    ("aws_lb_listener_rule", &["transform"], "AWS provider 6: host header and URL rewrites in listener rules are not supported (moto 5.2.5 has no rule transforms to test against)"),
    ("aws_alb_listener_rule", &["transform"], "AWS provider 6: host header and URL rewrites in listener rules are not supported (moto 5.2.5 has no rule transforms to test against)"),
    ("aws_instance", &["placement_group_id"], "AWS provider 6: a placement group by id is not supported (moto 5.2.5 places by name only); name it with placement_group"),
    ("aws_instance", &["secondary_network_interface"], "AWS provider 6: secondary interfaces of an instance are not supported (moto 5.2.5 has none to test against); give network_interface blocks or aws_network_interface_attachment"),
    ("aws_launch_template", &["network_performance_options"], "AWS provider 6: network bandwidth weighting of launched instances is not supported (moto 5.2.5 keeps no such option to test against)"),
    ("aws_launch_template", &["secondary_interfaces"], "AWS provider 6: secondary interfaces of launched instances are not supported (moto 5.2.5 has none to test against); give network_interfaces blocks"),
    ("aws_s3_bucket_server_side_encryption_configuration", &["rule.blocked_encryption_types"], "AWS provider 6: blocking encryption types (SSE-C) for a bucket is not supported (moto 5.2.5 has no such setting to test against)"),
];

/// Resource types the AWS provider added after 5.100.0 that iac does not have:
/// named as not supported yet (W0202 in a block with no instances), not as unknown.
pub(crate) const PROVIDER_6_TYPES: &[&str] = &["resource aws_s3_bucket_metadata_configuration"];

/// Marks every name of the ledgers on its type's schema (or its nested block's).
pub(crate) fn mark(s: &mut ProviderSchema) {
    for (ledger, types) in [
        (RESOURCES, &mut s.resources),
        (DATA_SOURCES, &mut s.data_sources),
    ] {
        for (ty, names, why) in ledger {
            if let Some(schema) = types.get_mut(*ty) {
                for n in *names {
                    schema.not_supported.insert((*n).to_string(), why);
                }
            }
        }
    }
    for (ty, names, why) in PROVIDER_6 {
        for n in *names {
            let Some(mut schema) = s.resources.get_mut(*ty) else {
                continue;
            };
            let mut path: Vec<&str> = n.split('.').collect();
            let Some(last) = path.pop() else { continue };
            for step in path {
                match schema.blocks.get_mut(step) {
                    Some(b) => schema = &mut b.block,
                    None => break,
                }
            }
            schema.not_supported.insert(last.to_string(), why);
        }
    }
}
