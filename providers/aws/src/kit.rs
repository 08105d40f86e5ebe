//! The AWS provider on the resource kit (`iac_provider::kit`). New types are a
//! file each, implementing `ResourceType<Clients>`, and one line in `registry`.
//! Every type is a file of its own under its service's folder; the `deployment`
//! block is `DeploymentType` here, its strategies `iac_deploy`'s, run on AWS by
//! `deploy/`.

use iac_provider::kit::{DataSourceType, Registry, ResourceType};
use iac_provider::{
    proposed_new, ApplyRequest, ApplyResult, AttrDiagnostic, PlanRequest, PlanResponse, Schema,
};
use iac_value::Value;

use crate::iam::{instance_profile, policy, policy_document, role, role_policy};
use crate::rds::{db_instance, db_subnet_group};
use crate::s3::{bucket, ownership_controls, public_access_block, sse, versioning};
use crate::secretsmanager::{
    data_secret, data_secret_version, secret, secret_policy, secret_version,
};
use crate::{deploy, ec2, elb, region, schema, sts, util, Clients};

/// The plan every AWS type starts from: the proposed new value, replacement by
/// `util::same` (an empty list or map equals null), and on a create or a
/// replacement every value the configuration leaves open unknown.
pub(crate) fn aws_plan(schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
    aws_plan_with(schema, req, &|_| {}, &|_, _| {})
}

/// `aws_plan` with a type's own adjustments: `shape` before replacements are
/// decided (what the planned value is), `replaces` after (what else replaces).
pub(crate) fn aws_plan_with(
    schema: &Schema,
    req: &PlanRequest<'_>,
    shape: &dyn Fn(&mut Value),
    replaces: &dyn Fn(&mut Value, &mut Vec<iac_value::Path>),
) -> PlanResponse {
    let mut planned = proposed_new(schema, req.prior, req.config);
    shape(&mut planned);
    let eq = |a: &Value, b: &Value| util::same(a, b);
    let mut requires_replace = match req.prior {
        Some(prior) => schema.replace_paths(prior, &planned, &eq),
        None => Vec::new(),
    };
    replaces(&mut planned, &mut requires_replace);
    if req.prior.is_none() || !requires_replace.is_empty() {
        // A create computes every value the configuration leaves open.
        for (name, a) in &schema.attributes {
            if a.computed && req.config.get_attr(name).is_null() {
                util::set(&mut planned, name, Value::Unknown);
            }
        }
    }
    PlanResponse {
        planned,
        requires_replace,
        diagnostics: Vec::new(),
        notes: Vec::new(),
    }
}

/// The `deployment` block: `deploy/` runs `iac_deploy`'s strategies on AWS.
pub(crate) struct DeploymentType;

#[async_trait::async_trait]
impl ResourceType<Clients> for DeploymentType {
    fn schema(&self) -> Schema {
        deploy::schema()
    }

    fn plan(&self, schema: &Schema, req: &PlanRequest<'_>) -> PlanResponse {
        let mut r = aws_plan_with(schema, req, &deploy::normalize, &|_, _| {});
        // The release id and the strategy's steps, as notes.
        deploy::plan(
            req.prior,
            req.config,
            &mut r.planned,
            &mut r.notes,
            &mut r.diagnostics,
        );
        r
    }

    async fn create(&self, c: &Clients, p: &Value, req: &ApplyRequest<'_>) -> ApplyResult {
        deploy::apply(c, None, Some(p), req.idempotency_token, req.output).await
    }

    async fn update(
        &self,
        c: &Clients,
        old: &Value,
        p: &Value,
        req: &ApplyRequest<'_>,
    ) -> ApplyResult {
        deploy::apply(c, Some(old), Some(p), req.idempotency_token, req.output).await
    }

    async fn delete(
        &self,
        c: &Clients,
        old: &Value,
        req: &ApplyRequest<'_>,
    ) -> Result<(), Vec<AttrDiagnostic>> {
        deploy::apply(c, Some(old), None, req.idempotency_token, req.output)
            .await
            .map(|_| ())
    }

    async fn read(
        &self,
        c: &Clients,
        current: &[Value],
    ) -> Vec<Result<Option<Value>, AttrDiagnostic>> {
        let mut out = Vec::new();
        for v in current {
            out.push(deploy::read(c, v).await);
        }
        out
    }
}

/// A data source served by its service module.
pub(crate) struct ServiceData {
    name: String,
    schema: Schema,
}

#[async_trait::async_trait]
impl DataSourceType<Clients> for ServiceData {
    fn schema(&self) -> Schema {
        self.schema.clone()
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Vec<AttrDiagnostic>> {
        match self.name.as_str() {
            "aws_region" | "aws_partition" => {
                let configured = c
                    .ec2
                    .config()
                    .region()
                    .map(|r| r.as_ref().to_string())
                    .unwrap_or_default();
                region::read_data(&self.name, &configured, config)
            }
            n => ec2::read_data(c, n, config).await,
        }
    }
}

/// Every type and data source of the provider: one line for each type in a file
/// of its own, then the types still served by their service modules.
pub(crate) fn registry() -> Registry<Clients> {
    let all = schema::provider_schema();
    let mut r = Registry::new(all.provider)
        .unset_is_zero()
        .resource("aws_db_instance", db_instance::DbInstanceType)
        .resource("aws_db_subnet_group", db_subnet_group::DbSubnetGroupType)
        .resource(
            "aws_db_parameter_group",
            crate::rds::db_parameter_group::DbParameterGroupType,
        )
        .resource("aws_secretsmanager_secret", secret::Secret)
        .resource(
            "aws_secretsmanager_secret_policy",
            secret_policy::SecretPolicy,
        )
        .resource(
            "aws_secretsmanager_secret_version",
            secret_version::SecretVersion,
        )
        .data_source("aws_secretsmanager_secret", data_secret::SecretData)
        .data_source(
            "aws_secretsmanager_secret_version",
            data_secret_version::SecretVersionData,
        )
        .resource("aws_iam_role", role::RoleType)
        .resource("aws_iam_policy", policy::PolicyType)
        .resource("aws_iam_role_policy", role_policy::RolePolicyType)
        .resource(
            "aws_iam_role_policy_attachment",
            crate::iam::policy_attachment::ROLE,
        )
        .resource(
            "aws_iam_instance_profile",
            instance_profile::InstanceProfileType,
        )
        .resource("aws_iam_user", crate::iam::user::UserType)
        .resource("aws_iam_access_key", crate::iam::access_key::AccessKeyType)
        .resource(
            "aws_iam_user_policy_attachment",
            crate::iam::policy_attachment::USER,
        )
        .data_source(
            "aws_iam_policy_document",
            policy_document::PolicyDocumentData,
        )
        .data_source("aws_caller_identity", sts::CallerIdentityData)
        .data_source("aws_subnet", ec2::lookups::SubnetData)
        .data_source("aws_security_group", ec2::lookups::SecurityGroupData)
        .data_source("aws_iam_role", crate::iam::data_role::RoleData)
        .data_source("aws_s3_bucket", crate::s3::data_bucket::BucketData)
        .data_source(
            "aws_canonical_user_id",
            crate::s3::data_canonical_user::CanonicalUserData,
        )
        .resource("aws_ssm_parameter", crate::ssm::SsmParameter)
        .data_source("aws_ssm_parameter", crate::ssm::SsmParameterData)
        .resource("aws_cloudwatch_log_group", crate::logs::LogGroupType)
        .resource(
            "aws_cloudwatch_metric_alarm",
            crate::cloudwatch::MetricAlarmType,
        )
        .resource(
            "aws_acm_certificate",
            crate::acm::certificate::CertificateType,
        )
        .resource(
            "aws_acm_certificate_validation",
            crate::acm::certificate_validation::CertificateValidationType,
        )
        .data_source(
            "aws_acm_certificate",
            crate::acm::data_certificate::CertificateData,
        )
        .resource("aws_kms_key", crate::kms::KeyType)
        .resource("aws_kms_alias", crate::kms::AliasType)
        .resource("aws_route53_zone", crate::route53::ZoneType)
        .resource("aws_route53_record", crate::route53::RecordType)
        .data_source("aws_route53_zone", crate::route53::ZoneData)
        .resource(
            "aws_default_security_group",
            ec2::default_security_group::DefaultSecurityGroupType,
        )
        .resource("aws_eip", ec2::eip::EipType)
        .resource("aws_key_pair", ec2::key_pair::KeyPairType)
        .resource(
            "aws_launch_template",
            ec2::launch_template::LaunchTemplateType,
        )
        .resource(
            "aws_autoscaling_group",
            crate::autoscaling::group::GroupType,
        )
        .resource(
            "aws_autoscaling_attachment",
            crate::autoscaling::attachment::AttachmentType,
        )
        .resource(
            "aws_launch_configuration",
            crate::autoscaling::launch_configuration::LaunchConfigurationType,
        )
        .resource("aws_nat_gateway", ec2::nat_gateway::NatGatewayType)
        .resource(
            "aws_network_interface",
            ec2::network_interface::NetworkInterfaceType,
        )
        .data_source(
            "aws_network_interface",
            ec2::data_network_interface::NetworkInterfaceData,
        )
        .data_source(
            "aws_vpc_endpoint_service",
            ec2::data_vpc_endpoint_service::VpcEndpointServiceData,
        )
        .resource(
            "aws_network_interface_attachment",
            ec2::network_interface_attachment::NetworkInterfaceAttachmentType,
        )
        .resource(
            "aws_network_interface_sg_attachment",
            ec2::network_interface_sg_attachment::NetworkInterfaceSgAttachmentType,
        )
        .resource("aws_route", ec2::route::RouteType)
        .resource("aws_vpc", ec2::vpc::VpcType)
        .resource("aws_subnet", ec2::subnet::SubnetType)
        .resource("aws_instance", ec2::instance::InstanceType)
        .resource("aws_security_group", ec2::security_group::SecurityGroupType)
        .resource(
            "aws_security_group_rule",
            ec2::security_group_rule::SecurityGroupRuleType,
        )
        .resource(
            "aws_internet_gateway",
            ec2::internet_gateway::InternetGatewayType,
        )
        .resource(
            "aws_egress_only_internet_gateway",
            ec2::egress_only_internet_gateway::EgressOnlyInternetGatewayType,
        )
        .resource("aws_vpc_endpoint", ec2::vpc_endpoint::VpcEndpointType)
        .resource(
            "aws_customer_gateway",
            ec2::vpn_gateway::CustomerGatewayType,
        )
        .resource("aws_vpn_gateway", ec2::vpn_gateway::VpnGatewayType)
        .resource(
            "aws_vpn_gateway_attachment",
            ec2::vpn_gateway::VpnGatewayAttachmentType,
        )
        .resource("aws_network_acl", ec2::network_acl::NetworkAclType)
        .resource("aws_network_acl_rule", ec2::network_acl::NetworkAclRuleType)
        .resource("aws_vpc_dhcp_options", ec2::dhcp_options::DhcpOptionsType)
        .resource(
            "aws_vpc_dhcp_options_association",
            ec2::dhcp_options::DhcpOptionsAssociationType,
        )
        .resource("aws_route_table", ec2::route_table::RouteTableType)
        .resource(
            "aws_route_table_association",
            ec2::route_table_association::RouteTableAssociationType,
        )
        .resource("aws_default_vpc", ec2::vpc::DefaultVpcType)
        .resource("aws_default_subnet", ec2::default_subnet::DefaultSubnetType)
        .resource(
            "aws_default_route_table",
            ec2::default_route_table::DefaultRouteTableType,
        )
        .resource(
            "aws_default_network_acl",
            ec2::default_network_acl::DefaultNetworkAclType,
        )
        .resource("aws_vpc_security_group_ingress_rule", ec2::sg_rule::INGRESS)
        .resource("aws_vpc_security_group_egress_rule", ec2::sg_rule::EGRESS);
    r = load_balancer_types(s3_types(r));
    for (name, s) in all.data_sources {
        let served = ServiceData {
            name: name.clone(),
            schema: s,
        };
        r = r.data_source(&name, served);
    }
    r.with_schemas(|s| {
        crate::tags::add_tags_all(s);
        crate::timeouts::add_block(s);
        crate::timeouts::add_data_block(s);
        crate::not_supported::mark(s);
        crate::regional::add(s);
    })
}

/// The load balancer types (and their `aws_alb*` aliases, as in Terraform).
fn load_balancer_types(r: Registry<Clients>) -> Registry<Clients> {
    r.resource("aws_lb", crate::elb::lb::LbType)
        .resource("aws_alb", crate::elb::lb::LbType)
        .data_source("aws_lb", crate::elb::data_lb::LbData)
        .data_source("aws_alb", crate::elb::data_lb::LbData)
        .resource("deployment", DeploymentType)
        .resource("aws_lb_target_group", elb::target_group::TargetGroupType)
        .resource("aws_alb_target_group", elb::target_group::TargetGroupType)
        .resource(
            "aws_lb_target_group_attachment",
            elb::target_group_attachment::TargetGroupAttachmentType,
        )
        .resource(
            "aws_alb_target_group_attachment",
            elb::target_group_attachment::TargetGroupAttachmentType,
        )
        .resource("aws_lb_listener", elb::listener::ListenerType)
        .resource("aws_alb_listener", elb::listener::ListenerType)
        .resource(
            "aws_lb_listener_certificate",
            elb::listener_certificate::ListenerCertificateType,
        )
        .resource(
            "aws_alb_listener_certificate",
            elb::listener_certificate::ListenerCertificateType,
        )
        .resource("aws_lb_listener_rule", elb::listener_rule::ListenerRuleType)
        .resource(
            "aws_alb_listener_rule",
            elb::listener_rule::ListenerRuleType,
        )
}

/// The S3 bucket family.
fn s3_types(r: Registry<Clients>) -> Registry<Clients> {
    r.resource("aws_s3_bucket", bucket::BucketType)
        .resource("aws_s3_bucket_versioning", versioning::VersioningType)
        .resource(
            "aws_s3_bucket_public_access_block",
            public_access_block::PublicAccessBlockType,
        )
        .resource("aws_s3_bucket_policy", crate::s3::policy::BucketPolicyType)
        .resource("aws_s3_object", crate::s3::object::ObjectType)
        .resource(
            "aws_s3_bucket_ownership_controls",
            ownership_controls::OwnershipControlsType,
        )
        .resource(
            "aws_s3_bucket_server_side_encryption_configuration",
            sse::SseType,
        )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_type_in_a_file_of_its_own_is_registered() {
        let r = super::registry();
        for t in [
            "aws_launch_configuration",
            "aws_route53_record",
            "aws_iam_role",
            "aws_s3_bucket",
            "aws_autoscaling_group",
        ] {
            assert!(
                r.schema().resources.contains_key(t),
                "{t} is not registered"
            );
        }
    }
}
