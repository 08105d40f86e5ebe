//! Schemas of the AWS resource types and data sources (Terraform AWS provider names).

use std::collections::BTreeMap;

use iac_provider::{AttrType, Attribute, NestedBlock, Nesting, ProviderSchema, Schema};

pub(crate) fn tags() -> Attribute {
    Attribute::optional(
        AttrType::Map(Box::new(AttrType::String)),
        "Tags of the object.",
    )
}

pub(crate) fn strings() -> AttrType {
    AttrType::List(Box::new(AttrType::String))
}

/// Services whose endpoint a provider block may set, by Terraform's names. Those
/// iac has a client for take effect (`util::build_clients`); the others are accepted so
/// a configuration written for Terraform loads, and take effect when iac manages
/// objects of that service.
pub const ENDPOINT_SERVICES: &[&str] = &[
    "acm",
    "apigateway",
    "autoscaling",
    "cloudformation",
    "cloudfront",
    "cloudwatch",
    "cloudwatchlogs",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "eks",
    "elasticache",
    "elb",
    "elbv2",
    "events",
    "firehose",
    "iam",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "rds",
    "redshift",
    "route53",
    "s3",
    "secretsmanager",
    "ses",
    "sns",
    "sqs",
    "ssm",
    "sts",
];

/// Settings of Terraform's AWS provider that iac does not honour yet: accepted by
/// the schema so that the error says so (and why), rather than "unsupported argument".
/// (Every setting of the provider block is honoured now; a new one Terraform adds
/// goes here until it is.)
pub const NOT_YET: &[(&str, &str)] = &[];

/// Resource types Terraform knows by two names: the alias and the type it stands for.
pub const ALIASES: &[(&str, &str)] = &[
    ("aws_alb", "aws_lb"),
    ("aws_alb_listener", "aws_lb_listener"),
    (
        "aws_alb_listener_certificate",
        "aws_lb_listener_certificate",
    ),
    ("aws_alb_listener_rule", "aws_lb_listener_rule"),
    ("aws_alb_target_group", "aws_lb_target_group"),
    (
        "aws_alb_target_group_attachment",
        "aws_lb_target_group_attachment",
    ),
];

/// The type an alias stands for (itself if it is none).
pub fn canonical(type_name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(a, _)| *a == type_name)
        .map(|(_, of)| *of)
        .unwrap_or(type_name)
}

pub fn provider_schema() -> ProviderSchema {
    let mut data_sources = BTreeMap::new();
    computed_data_sources(&mut data_sources);
    lookup_data_sources(&mut data_sources);
    ami_data_source(&mut data_sources);
    ProviderSchema {
        provider: provider_block(),
        resources: BTreeMap::new(),
        data_sources,
    }
}

/// The `provider "aws"` block: region, credentials, endpoints, tags, retries.
fn provider_block() -> Schema {
    let mut endpoints = Schema::new("Service endpoints, for example a local emulator.");
    for svc in ENDPOINT_SERVICES {
        endpoints = endpoints.attr(
            svc,
            Attribute::optional(AttrType::String, "Endpoint URL of the service."),
        );
    }
    let mut provider = Schema::new(
        "AWS: region, credentials and endpoints; what the block leaves unset comes from the standard SDK configuration.",
    )
    .attr(
        "region",
        Attribute::optional(
            AttrType::String,
            "Region, such as us-east-1 (default: AWS_REGION).",
        ),
    )
    .attr(
        "profile",
        Attribute::optional(AttrType::String, "Named profile (default: AWS_PROFILE)."),
    )
    .attr(
        "access_key",
        Attribute::optional(AttrType::String, "Static access key id (wins over the environment and profiles)."),
    )
    .attr(
        "secret_key",
        Attribute::optional(AttrType::String, "Static secret access key.").sensitive(),
    )
    .attr(
        "token",
        Attribute::optional(AttrType::String, "Session token for temporary static credentials.").sensitive(),
    )
    .attr(
        "max_retries",
        Attribute::optional(
            AttrType::Number,
            "Retries of a throttled or failed call (default 7: 8 attempts).",
        ),
    )
    .attr(
        "skip_credentials_validation",
        Attribute::optional(AttrType::Bool, "Accepted: iac never validates credentials through STS."),
    )
    .attr(
        "skip_requesting_account_id",
        Attribute::optional(AttrType::Bool, "Never ask STS for the account id (ARNs that need it are null)."),
    )
    .attr(
        "skip_metadata_api_check",
        Attribute::optional(AttrType::Bool, "Accepted: iac never asks the instance metadata service."),
    )
    .attr(
        "s3_use_path_style",
        Attribute::optional(
            AttrType::Bool,
            "Address buckets by path (https://host/bucket) rather than host name; on by itself with an endpoint override.",
        ),
    )
    .attr(
        "skip_region_validation",
        Attribute::optional(AttrType::Bool, "Accepted: iac does not check region names."),
    )
    .attr(
        "allowed_account_ids",
        Attribute::optional(
            AttrType::Set(Box::new(AttrType::String)),
            "Refuse to act in any other account (checked through STS before anything is read or changed).",
        ),
    )
    .attr(
        "forbidden_account_ids",
        Attribute::optional(
            AttrType::Set(Box::new(AttrType::String)),
            "Refuse to act in these accounts (checked through STS before anything is read or changed).",
        ),
    )
    .block(
        "endpoints",
        NestedBlock {
            nesting: Nesting::List,
            min_items: 0,
            max_items: Some(1),
            force_new: false,
            block: endpoints,
        },
    );
    let assume_role = Schema::new(
        "A role to assume with the credentials found; every call then acts as the role.",
    )
    .attr(
        "role_arn",
        Attribute::optional(AttrType::String, "ARN of the role."),
    )
    .attr(
        "session_name",
        Attribute::optional(AttrType::String, "Session name (default iac)."),
    )
    .attr(
        "external_id",
        Attribute::optional(
            AttrType::String,
            "External id the role's trust policy asks for.",
        ),
    )
    .attr(
        "duration",
        Attribute::optional(AttrType::String, "Session length, such as 1h (default 1h)."),
    )
    .attr(
        "policy",
        Attribute::optional(
            AttrType::String,
            "A policy (JSON) that narrows the session.",
        ),
    )
    .attr(
        "policy_arns",
        Attribute::optional(
            AttrType::Set(Box::new(AttrType::String)),
            "Managed policies that narrow the session.",
        ),
    )
    .attr(
        "tags",
        Attribute::optional(AttrType::Map(Box::new(AttrType::String)), "Session tags."),
    );
    provider = provider
        .block(
            "assume_role",
            NestedBlock {
                nesting: Nesting::List,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
                block: assume_role,
            },
        )
        .block(
            "default_tags",
            NestedBlock {
                nesting: Nesting::List,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
                block: Schema::new("Tags on every taggable object this configuration manages.")
                    .attr(
                        "tags",
                        Attribute::optional(
                            AttrType::Map(Box::new(AttrType::String)),
                            "Tags merged under each resource's own (the resource's win); each resource's tags_all shows the result.",
                        ),
                    ),
            },
        )
        .block(
            "ignore_tags",
            NestedBlock {
                nesting: Nesting::List,
                min_items: 0,
                max_items: Some(1),
                force_new: false,
                block: Schema::new("Tags iac leaves alone on every object: never reported as drift, never removed.")
                    .attr(
                        "keys",
                        Attribute::optional(AttrType::Set(Box::new(AttrType::String)), "Tag keys."),
                    )
                    .attr(
                        "key_prefixes",
                        Attribute::optional(AttrType::Set(Box::new(AttrType::String)), "Tag key prefixes."),
                    ),
            },
        );
    provider
}

/// Data sources computed from the configuration, without a call or with one.
fn computed_data_sources(data_sources: &mut BTreeMap<String, Schema>) {
    data_sources.insert(
        "aws_region".to_string(),
        Schema::new("The provider's region, or a named one; computed without a call.")
            .attr(
                "name",
                Attribute::optional_computed(
                    AttrType::String,
                    "Region name (default: the provider's; deprecated in the AWS provider 6 for region).",
                ),
            )
            .attr(
                "region",
                Attribute::optional_computed(
                    AttrType::String,
                    "Region name, as the AWS provider 6 calls it (default: the provider's).",
                ),
            )
            .attr(
                "endpoint",
                Attribute::optional_computed(AttrType::String, "EC2 endpoint of the region."),
            )
            .attr(
                "description",
                Attribute::computed(
                    AttrType::String,
                    "AWS's description, such as Europe (Ireland).",
                ),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "The region name."),
            ),
    );
    data_sources.insert(
        "aws_partition".to_string(),
        Schema::new("The partition of the provider's region; computed without a call.")
            .attr(
                "partition",
                Attribute::computed(AttrType::String, "aws, aws-cn or aws-us-gov."),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "The partition."),
            )
            .attr(
                "dns_suffix",
                Attribute::computed(AttrType::String, "amazonaws.com or amazonaws.com.cn."),
            )
            .attr(
                "reverse_dns_prefix",
                Attribute::computed(AttrType::String, "com.amazonaws or cn.com.amazonaws."),
            ),
    );
    data_sources.insert(
        "aws_availability_zones".to_string(),
        Schema::new("The availability zones of the region.")
            .attr(
                "state",
                Attribute::optional(
                    AttrType::String,
                    "Only zones in this state (available, ...).",
                ),
            )
            .attr(
                "names",
                Attribute::computed(strings(), "Zone names, sorted."),
            )
            .attr(
                "zone_ids",
                Attribute::computed(strings(), "Zone ids, in the order of names."),
            )
            .attr(
                "all_availability_zones",
                Attribute::optional(
                    AttrType::Bool,
                    "Also Local Zones and Wavelength Zones, opted in or not.",
                ),
            )
            .attr(
                "exclude_names",
                Attribute::optional(
                    AttrType::Set(Box::new(AttrType::String)),
                    "Zone names to leave out.",
                ),
            )
            .attr(
                "exclude_zone_ids",
                Attribute::optional(
                    AttrType::Set(Box::new(AttrType::String)),
                    "Zone ids to leave out.",
                ),
            )
            .attr(
                "group_names",
                Attribute::computed(
                    AttrType::Set(Box::new(AttrType::String)),
                    "Zone groups of the zones found.",
                ),
            )
            .block(
                "filter",
                NestedBlock {
                    nesting: Nesting::Set,
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                    block: Schema::new("A DescribeAvailabilityZones filter.")
                        .attr(
                            "name",
                            Attribute::required(
                                AttrType::String,
                                "Filter name, such as opt-in-status.",
                            ),
                        )
                        .attr("values", Attribute::required(strings(), "Accepted values.")),
                },
            )
            .attr("id", Attribute::computed(AttrType::String, "The region.")),
    );
}

/// Data sources that find one EC2 network object (or the ids of several).
fn lookup_data_sources(data_sources: &mut BTreeMap<String, Schema>) {
    let lookup_filter = || {
        Schema::new("A Describe* filter.")
            .attr(
                "name",
                Attribute::required(AttrType::String, "Filter name, such as vpc-id or tag:Name."),
            )
            .attr("values", Attribute::required(strings(), "Accepted values."))
    };
    data_sources.insert(
        "aws_vpc".to_string(),
        Schema::new("Finds one VPC: the default one, or by id, CIDR block, tags or filters.")
            .attr(
                "id",
                Attribute::optional_computed(AttrType::String, "VPC id."),
            )
            .attr(
                "default",
                Attribute::optional_computed(AttrType::Bool, "The region's default VPC."),
            )
            .attr(
                "cidr_block",
                Attribute::optional_computed(AttrType::String, "CIDR block."),
            )
            .attr(
                "tags",
                Attribute::optional_computed(
                    AttrType::Map(Box::new(AttrType::String)),
                    "Tags to match.",
                ),
            )
            .block(
                "filter",
                NestedBlock {
                    nesting: Nesting::Set,
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                    block: lookup_filter(),
                },
            )
            .attr("arn", Attribute::computed(AttrType::String, "ARN."))
            .attr(
                "owner_id",
                Attribute::computed(AttrType::String, "Owning account."),
            )
            .attr(
                "instance_tenancy",
                Attribute::computed(AttrType::String, "Tenancy."),
            )
            .attr(
                "state",
                Attribute::optional_computed(AttrType::String, "available or pending (to match)."),
            )
            .attr(
                "dhcp_options_id",
                Attribute::optional_computed(AttrType::String, "DHCP options set (to match)."),
            )
            .attr(
                "enable_dns_support",
                Attribute::computed(AttrType::Bool, "DNS resolution through Amazon's server."),
            )
            .attr(
                "enable_dns_hostnames",
                Attribute::computed(AttrType::Bool, "Public DNS host names for instances."),
            )
            .attr(
                "enable_network_address_usage_metrics",
                Attribute::computed(AttrType::Bool, "Network address usage metrics."),
            )
            .attr(
                "main_route_table_id",
                Attribute::computed(AttrType::String, "The VPC's main route table."),
            )
            .attr(
                "ipv6_cidr_block",
                Attribute::computed(AttrType::String, "The IPv6 block, if any."),
            )
            .attr(
                "ipv6_association_id",
                Attribute::computed(AttrType::String, "Association of the IPv6 block."),
            )
            .attr(
                "cidr_block_associations",
                Attribute::computed(
                    AttrType::List(Box::new(AttrType::Map(Box::new(AttrType::String)))),
                    "IPv4 blocks: association_id, cidr_block, state.",
                ),
            ),
    );
    data_sources.insert(
        "aws_subnets".to_string(),
        Schema::new("Finds the ids of the subnets that match filters and tags.")
            .attr(
                "tags",
                Attribute::optional(AttrType::Map(Box::new(AttrType::String)), "Tags to match."),
            )
            .block(
                "filter",
                NestedBlock {
                    nesting: Nesting::Set,
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                    block: lookup_filter(),
                },
            )
            .attr("ids", Attribute::computed(strings(), "Subnet ids, sorted."))
            .attr("id", Attribute::computed(AttrType::String, "The region.")),
    );
}

/// `data "aws_ami"`.
fn ami_data_source(data_sources: &mut BTreeMap<String, Schema>) {
    let filter = Schema::new("A DescribeImages filter.")
        .attr(
            "name",
            Attribute::required(
                AttrType::String,
                "Filter name, such as name or architecture.",
            ),
        )
        .attr(
            "values",
            Attribute::required(strings(), "Accepted values (wildcards allowed)."),
        );
    data_sources.insert(
        "aws_ami".to_string(),
        Schema::new("Finds an image.")
            .attr(
                "owners",
                Attribute::optional(strings(), "Owners: account ids, amazon, self."),
            )
            .attr(
                "most_recent",
                Attribute::optional(AttrType::Bool, "Pick the newest when several match."),
            )
            .attr(
                "name_regex",
                Attribute::optional(AttrType::String, "Keep images whose name matches."),
            )
            .block(
                "filter",
                NestedBlock {
                    nesting: Nesting::Set,
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                    block: filter,
                },
            )
            .attr("id", Attribute::computed(AttrType::String, "Image id."))
            .attr(
                "image_id",
                Attribute::computed(AttrType::String, "Image id."),
            )
            .attr("name", Attribute::computed(AttrType::String, "Image name."))
            .attr(
                "architecture",
                Attribute::computed(AttrType::String, "Architecture."),
            )
            .attr(
                "creation_date",
                Attribute::computed(AttrType::String, "Creation date."),
            )
            .attr(
                "owner_id",
                Attribute::computed(AttrType::String, "Owning account."),
            )
            .pipe_ami(),
    );
}

/// A route inline in a route table: one destination, one target.
pub(crate) fn inline_route() -> Schema {
    let mut route = Schema::new("A route: one destination, one target.")
        .attr(
            "cidr_block",
            Attribute::optional(AttrType::String, "Destination IPv4 range."),
        )
        .attr(
            "ipv6_cidr_block",
            Attribute::optional(AttrType::String, "Destination IPv6 range."),
        )
        .attr(
            "destination_prefix_list_id",
            Attribute::optional(AttrType::String, "Destination prefix list."),
        );
    for t in crate::ec2::route::TARGETS {
        route = route.attr(
            t,
            Attribute::optional(AttrType::String, "Target (see aws_route)."),
        );
    }
    route
}

pub(crate) fn num() -> AttrType {
    AttrType::Number
}

pub(crate) fn string_set() -> AttrType {
    AttrType::Set(Box::new(AttrType::String))
}

pub(crate) fn nested(
    nesting: Nesting,
    min: usize,
    max: Option<usize>,
    block: Schema,
) -> NestedBlock {
    NestedBlock {
        nesting,
        min_items: min,
        max_items: max,
        force_new: false,
        block,
    }
}

/// An action of a listener or rule: forward (to one target group, or weighted
/// to several), fixed-response or redirect.
pub(crate) fn lb_action() -> Schema {
    use AttrType::{Number, String as Str};
    let target_group = Schema::new("A weighted target of a forward action.")
        .attr("arn", Attribute::required(Str, "Target group ARN."))
        .attr(
            "weight",
            Attribute::optional(Number, "Share of traffic, 0-999 (default 1)."),
        );
    let stickiness = Schema::new("Keep a client on one target group.")
        .attr("enabled", Attribute::optional(AttrType::Bool, "On or off."))
        .attr("duration", Attribute::required(Number, "Seconds."));
    let forward = Schema::new("Forward to weighted target groups.")
        .block(
            "target_group",
            nested(Nesting::Set, 1, Some(5), target_group),
        )
        .block("stickiness", nested(Nesting::List, 0, Some(1), stickiness));
    let fixed = Schema::new("Answer with a fixed response.")
        .attr(
            "content_type",
            Attribute::required(Str, "text/plain, application/json, ..."),
        )
        .attr("message_body", Attribute::optional(Str, "Body."))
        .attr(
            "status_code",
            Attribute::optional(Str, "HTTP status (default 200)."),
        );
    let redirect = Schema::new("Redirect the client.")
        .attr(
            "protocol",
            Attribute::optional(Str, "HTTP or HTTPS (default: #{protocol})."),
        )
        .attr("port", Attribute::optional(Str, "Port (default: #{port})."))
        .attr("host", Attribute::optional(Str, "Host (default: #{host})."))
        .attr(
            "path",
            Attribute::optional(Str, "Path (default: /#{path})."),
        )
        .attr(
            "query",
            Attribute::optional(Str, "Query (default: #{query})."),
        )
        .attr(
            "status_code",
            Attribute::required(Str, "HTTP_301 or HTTP_302."),
        );
    Schema::new("What the listener does with a request.")
        .attr(
            "type",
            Attribute::required(Str, "forward, fixed-response or redirect."),
        )
        .attr(
            "target_group_arn",
            Attribute::optional(
                Str,
                "forward: the one target group (or use a forward block).",
            ),
        )
        .attr(
            "order",
            Attribute::optional_computed(Number, "Order among actions."),
        )
        .block("forward", nested(Nesting::List, 0, Some(1), forward))
        .block("fixed_response", nested(Nesting::List, 0, Some(1), fixed))
        .block("redirect", nested(Nesting::List, 0, Some(1), redirect))
        .block(
            "authenticate_cognito",
            nested(Nesting::List, 0, Some(1), authenticate(true)),
        )
        .block(
            "authenticate_oidc",
            nested(Nesting::List, 0, Some(1), authenticate(false)),
        )
}

/// An authenticate action's block: a Cognito user pool, or an OIDC provider
/// (whose client secret is kept only as a fingerprint).
fn authenticate(cognito: bool) -> Schema {
    use AttrType::{Map, Number, String as Str};
    let req = Attribute::required;
    let opt = Attribute::optional;
    let s = if cognito {
        Schema::new("Authenticate users through an Amazon Cognito user pool first.")
            .attr("user_pool_arn", req(Str, "The user pool's ARN."))
            .attr("user_pool_client_id", req(Str, "The app client's id."))
            .attr(
                "user_pool_domain",
                req(Str, "The user pool's domain prefix."),
            )
    } else {
        Schema::new("Authenticate users through an OpenID Connect provider first.")
            .attr("issuer", req(Str, "The provider's issuer URL."))
            .attr(
                "authorization_endpoint",
                req(Str, "Authorization endpoint URL."),
            )
            .attr("token_endpoint", req(Str, "Token endpoint URL."))
            .attr("user_info_endpoint", req(Str, "User info endpoint URL."))
            .attr("client_id", req(Str, "The client id."))
            .attr(
                "client_secret",
                req(Str, "The client secret (kept only as a fingerprint).").sensitive(),
            )
    };
    s.attr(
        "authentication_request_extra_params",
        opt(
            Map(Box::new(Str)),
            "Query parameters added to the redirect to the provider.",
        ),
    )
    .attr(
        "on_unauthenticated_request",
        opt(Str, "deny, allow or authenticate (default)."),
    )
    .attr("scope", opt(Str, "Claims asked for (default openid)."))
    .attr(
        "session_cookie_name",
        opt(Str, "Cookie name (default AWSELBAuthSessionCookie)."),
    )
    .attr(
        "session_timeout",
        opt(
            Number,
            "Seconds the session lasts (default 604800, 7 days).",
        ),
    )
}

/// The rest of data `aws_ami`: what DescribeImages tells of the image found.
trait AmiSchema {
    fn pipe_ami(self) -> Schema;
}

impl AmiSchema for Schema {
    fn pipe_ami(self) -> Schema {
        use AttrType::{Bool, List, Map, String as Str};
        let c = |d: &'static str| Attribute::computed(Str, d);
        let mut s = self
            .attr(
                "executable_users",
                Attribute::optional(strings(), "Images these users may launch (self, all, account ids)."),
            )
            .attr(
                "include_deprecated",
                Attribute::optional(Bool, "Also find deprecated images (default false)."),
            )
            .attr("tags", Attribute::computed(Map(Box::new(Str)), "Tags of the image."))
            .attr("public", Attribute::computed(Bool, "Launchable by everyone."))
            .attr("ena_support", Attribute::computed(Bool, "Enhanced networking."))
            .attr(
                "block_device_mappings",
                Attribute::computed(
                    List(Box::new(AttrType::Dynamic)),
                    "Devices: device_name, virtual_name, no_device, and ebs (a map of its settings as strings), as Terraform has them.",
                ),
            )
            .attr(
                "product_codes",
                Attribute::computed(
                    List(Box::new(Map(Box::new(Str)))),
                    "Product codes: product_code_id, product_code_type.",
                ),
            )
            .attr(
                "state_reason",
                Attribute::computed(Map(Box::new(Str)), "Why the image is in its state: code, message."),
            );
        for (name, d) in [
            ("arn", "ARN."),
            ("boot_mode", "legacy-bios, uefi or uefi-preferred."),
            ("deprecation_time", "When the image is deprecated."),
            ("description", "Description."),
            ("hypervisor", "ovm or xen."),
            ("image_location", "Where the image is stored."),
            ("image_owner_alias", "amazon, aws-marketplace, ..."),
            ("image_type", "machine, kernel or ramdisk."),
            ("imds_support", "v2.0 when the image requires IMDSv2."),
            ("kernel_id", "Kernel."),
            (
                "last_launched_time",
                "When an instance was last launched from it.",
            ),
            ("platform", "windows, or null."),
            ("platform_details", "Platform, such as Linux/UNIX."),
            ("ramdisk_id", "RAM disk."),
            ("root_device_name", "Root device, such as /dev/xvda."),
            ("root_device_type", "ebs or instance-store."),
            ("root_snapshot_id", "Snapshot of the root volume."),
            ("sriov_net_support", "simple, when enabled."),
            ("state", "available, pending, ..."),
            ("tpm_support", "v2.0 when NitroTPM is on."),
            ("usage_operation", "Billing operation code."),
            ("virtualization_type", "hvm or paravirtual."),
        ] {
            s = s.attr(name, c(d));
        }
        s
    }
}
