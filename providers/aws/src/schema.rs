//! Schemas of the AWS resource types and data sources (Terraform AWS provider names).

use std::collections::BTreeMap;

use iac_provider::{AttrType, Attribute, NestedBlock, Nesting, ProviderSchema, Schema};

fn tags() -> Attribute {
    Attribute::optional(
        AttrType::Map(Box::new(AttrType::String)),
        "Tags of the object.",
    )
}

fn strings() -> AttrType {
    AttrType::List(Box::new(AttrType::String))
}

pub fn provider_schema() -> ProviderSchema {
    let endpoints = Schema::new("Service endpoints, for example a local emulator.")
        .attr(
            "ec2",
            Attribute::optional(AttrType::String, "EC2 endpoint URL."),
        )
        .attr(
            "rds",
            Attribute::optional(AttrType::String, "RDS endpoint URL."),
        )
        .attr(
            "secretsmanager",
            Attribute::optional(AttrType::String, "Secrets Manager endpoint URL."),
        );
    let provider = Schema::new(
        "AWS: region and endpoints; credentials come from the standard SDK configuration.",
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
    let mut resources = BTreeMap::new();
    resources.insert(
        "aws_vpc".to_string(),
        Schema::new("A virtual private cloud.")
            .attr(
                "cidr_block",
                Attribute::required(AttrType::String, "IPv4 CIDR block.").force_new(),
            )
            .attr(
                "instance_tenancy",
                Attribute::optional_computed(AttrType::String, "default or dedicated.").force_new(),
            )
            .attr(
                "enable_dns_support",
                Attribute::optional_computed(AttrType::Bool, "DNS resolution (AWS default true)."),
            )
            .attr(
                "enable_dns_hostnames",
                Attribute::optional_computed(AttrType::Bool, "DNS hostnames (AWS default false)."),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(AttrType::String, "VPC id."))
            .attr("arn", Attribute::computed(AttrType::String, "ARN."))
            .attr(
                "owner_id",
                Attribute::computed(AttrType::String, "Owning account."),
            ),
    );
    resources.insert(
        "aws_subnet".to_string(),
        Schema::new("A subnet of a VPC.")
            .attr(
                "vpc_id",
                Attribute::required(AttrType::String, "VPC id.").force_new(),
            )
            .attr(
                "cidr_block",
                Attribute::required(AttrType::String, "IPv4 CIDR block.").force_new(),
            )
            .attr(
                "availability_zone",
                Attribute::optional_computed(AttrType::String, "Availability zone.").force_new(),
            )
            .attr(
                "map_public_ip_on_launch",
                Attribute::optional(
                    AttrType::Bool,
                    "Give instances a public IP (default false).",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(AttrType::String, "Subnet id."))
            .attr("arn", Attribute::computed(AttrType::String, "ARN.")),
    );
    resources.insert(
        "aws_instance".to_string(),
        Schema::new("An EC2 instance (a server).")
            .attr(
                "ami",
                Attribute::required(AttrType::String, "Image id.").force_new(),
            )
            .attr(
                "instance_type",
                Attribute::required(
                    AttrType::String,
                    "Instance type; changed by stop, modify, start.",
                ),
            )
            .attr(
                "subnet_id",
                Attribute::optional_computed(AttrType::String, "Subnet.").force_new(),
            )
            .attr(
                "vpc_security_group_ids",
                Attribute::optional_computed(
                    AttrType::Set(Box::new(AttrType::String)),
                    "Security groups.",
                ),
            )
            .attr(
                "user_data",
                Attribute::optional(
                    AttrType::String,
                    "Boot script; changed by stop, modify, start.",
                ),
            )
            .attr(
                "user_data_replace_on_change",
                Attribute::optional(
                    AttrType::Bool,
                    "Replace the instance when user_data changes.",
                ),
            )
            .attr(
                "key_name",
                Attribute::optional(AttrType::String, "SSH key pair name.").force_new(),
            )
            .attr(
                "iam_instance_profile",
                Attribute::optional(
                    AttrType::String,
                    "Name of an instance profile, for the server's AWS permissions (a change replaces the server).",
                )
                .force_new(),
            )
            .block(
                "root_block_device",
                NestedBlock {
                    nesting: Nesting::List,
                    min_items: 0,
                    max_items: Some(1),
                    force_new: false,
                    block: Schema::new("The root volume; size and type change in place.")
                        .attr(
                            "volume_size",
                            Attribute::optional_computed(AttrType::Number, "Size in GiB."),
                        )
                        .attr(
                            "volume_type",
                            Attribute::optional_computed(AttrType::String, "gp3, gp2, io1, ..."),
                        )
                        .attr(
                            "delete_on_termination",
                            Attribute::optional_computed(
                                AttrType::Bool,
                                "Delete with the instance (default true).",
                            ),
                        )
                        .attr(
                            "volume_id",
                            Attribute::computed(AttrType::String, "Volume id."),
                        )
                        .attr(
                            "device_name",
                            Attribute::computed(AttrType::String, "Device name."),
                        ),
                },
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(AttrType::String, "Instance id."))
            .attr("arn", Attribute::computed(AttrType::String, "ARN."))
            .attr(
                "private_ip",
                Attribute::computed(AttrType::String, "Private IPv4 address."),
            )
            .attr(
                "public_ip",
                Attribute::computed(AttrType::String, "Public IPv4 address."),
            )
            .attr(
                "instance_state",
                Attribute::computed(AttrType::String, "pending, running, stopped, ..."),
            )
            .attr(
                "availability_zone",
                Attribute::computed(AttrType::String, "Availability zone."),
            ),
    );
    let rule = || {
        Schema::new("A security group rule.")
            .attr(
                "from_port",
                Attribute::required(AttrType::Number, "First port (or ICMP type)."),
            )
            .attr(
                "to_port",
                Attribute::required(AttrType::Number, "Last port (or ICMP code)."),
            )
            .attr(
                "protocol",
                Attribute::required(AttrType::String, "tcp, udp, icmp, or -1 for all."),
            )
            .attr(
                "cidr_blocks",
                Attribute::optional(strings(), "IPv4 ranges."),
            )
            .attr(
                "description",
                Attribute::optional(AttrType::String, "Description of the rule."),
            )
    };
    let inline_rule = || {
        rule().attr(
            "security_groups",
            Attribute::optional(
                strings(),
                "Security groups whose members the rule allows (ids).",
            ),
        )
    };
    resources.insert(
        "aws_security_group".to_string(),
        Schema::new(
            "A security group with inline rules; rules not in the configuration are removed.",
        )
        .attr(
            "name",
            Attribute::optional_computed(AttrType::String, "Group name (default: generated).")
                .force_new(),
        )
        .attr(
            "description",
            Attribute::optional(
                AttrType::String,
                "Description (default \"Managed by iac\").",
            )
            .force_new(),
        )
        .attr(
            "vpc_id",
            Attribute::optional_computed(AttrType::String, "VPC of the group.").force_new(),
        )
        .block(
            "ingress",
            NestedBlock {
                nesting: Nesting::Set,
                min_items: 0,
                max_items: None,
                force_new: false,
                block: inline_rule(),
            },
        )
        .block(
            "egress",
            NestedBlock {
                nesting: Nesting::Set,
                min_items: 0,
                max_items: None,
                force_new: false,
                block: inline_rule(),
            },
        )
        .attr("tags", tags())
        .attr("id", Attribute::computed(AttrType::String, "Group id."))
        .attr("arn", Attribute::computed(AttrType::String, "ARN."))
        .attr(
            "owner_id",
            Attribute::computed(AttrType::String, "Owning account."),
        ),
    );
    resources.insert(
        "aws_security_group_rule".to_string(),
        rule()
            .attr(
                "type",
                Attribute::required(AttrType::String, "ingress or egress.").force_new(),
            )
            .attr(
                "security_group_id",
                Attribute::required(AttrType::String, "The group.").force_new(),
            )
            .attr("id", Attribute::computed(AttrType::String, "Rule id."))
            .force_all_new(),
    );
    resources.insert(
        "aws_internet_gateway".to_string(),
        Schema::new("An internet gateway, attached to a VPC.")
            .attr(
                "vpc_id",
                Attribute::optional(
                    AttrType::String,
                    "VPC to attach to; changed by detach and attach.",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(AttrType::String, "Gateway id."))
            .attr("arn", Attribute::computed(AttrType::String, "ARN."))
            .attr(
                "owner_id",
                Attribute::computed(AttrType::String, "Owning account."),
            ),
    );
    let route = Schema::new("A route.")
        .attr(
            "cidr_block",
            Attribute::required(AttrType::String, "Destination IPv4 range."),
        )
        .attr(
            "gateway_id",
            Attribute::optional(AttrType::String, "Internet gateway to send it to."),
        );
    resources.insert(
        "aws_route_table".to_string(),
        Schema::new("A route table with inline routes; omitted routes are left alone.")
            .attr(
                "vpc_id",
                Attribute::required(AttrType::String, "VPC.").force_new(),
            )
            .block(
                "route",
                NestedBlock {
                    nesting: Nesting::Set,
                    min_items: 0,
                    max_items: None,
                    force_new: false,
                    block: route,
                },
            )
            .attr("tags", tags())
            .attr(
                "id",
                Attribute::computed(AttrType::String, "Route table id."),
            )
            .attr("arn", Attribute::computed(AttrType::String, "ARN."))
            .attr(
                "owner_id",
                Attribute::computed(AttrType::String, "Owning account."),
            ),
    );
    resources.insert(
        "aws_route_table_association".to_string(),
        Schema::new("Associates a subnet with a route table.")
            .attr(
                "subnet_id",
                Attribute::required(AttrType::String, "Subnet.").force_new(),
            )
            .attr(
                "route_table_id",
                Attribute::required(AttrType::String, "Route table.").force_new(),
            )
            .attr(
                "id",
                Attribute::computed(AttrType::String, "Association id."),
            ),
    );
    let mut data_sources = BTreeMap::new();
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
            .attr("id", Attribute::computed(AttrType::String, "The region.")),
    );
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
            ),
    );
    databases_and_secrets(&mut resources, &mut data_sources);
    ProviderSchema {
        provider,
        resources,
        data_sources,
    }
}

fn num() -> AttrType {
    AttrType::Number
}

fn string_set() -> AttrType {
    AttrType::Set(Box::new(AttrType::String))
}

/// RDS and Secrets Manager types.
fn databases_and_secrets(
    resources: &mut BTreeMap<String, Schema>,
    data_sources: &mut BTreeMap<String, Schema>,
) {
    use AttrType::{Bool, String as Str};
    resources.insert(
        "aws_db_subnet_group".to_string(),
        Schema::new("The subnets an RDS database may be placed in.")
            .attr(
                "name",
                Attribute::required(Str, "Name of the group (lower case).").force_new(),
            )
            .attr(
                "description",
                Attribute::optional_computed(Str, "Description (default \"Managed by iac\")."),
            )
            .attr(
                "subnet_ids",
                Attribute::required(string_set(), "Subnets, in at least two availability zones."),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The name."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("vpc_id", Attribute::computed(Str, "VPC of the subnets.")),
    );
    resources.insert(
        "aws_db_instance".to_string(),
        Schema::new("An RDS database instance.")
            .attr(
                "identifier",
                Attribute::optional_computed(Str, "Name of the instance (generated when unset).")
                    .force_new(),
            )
            .attr(
                "engine",
                Attribute::required(Str, "postgres, mysql, mariadb, ...").force_new(),
            )
            .attr(
                "engine_version",
                Attribute::optional_computed(Str, "Engine version; a change upgrades in place."),
            )
            .attr(
                "instance_class",
                Attribute::required(Str, "Such as db.t3.micro; a change restarts the database."),
            )
            .attr(
                "allocated_storage",
                Attribute::optional_computed(num(), "Storage in GiB."),
            )
            .attr(
                "storage_type",
                Attribute::optional_computed(Str, "gp2, gp3, io1, standard."),
            )
            .attr(
                "db_name",
                Attribute::optional(Str, "Database created with the instance.").force_new(),
            )
            .attr(
                "username",
                Attribute::optional_computed(Str, "Master user name.").force_new(),
            )
            .attr(
                "password",
                Attribute::optional(
                    Str,
                    "Master password. Never stored: state keeps a salted fingerprint.",
                )
                .sensitive(),
            )
            .attr(
                "manage_master_user_password",
                Attribute::optional(
                    Bool,
                    "Let RDS generate the master password and keep it in Secrets Manager.",
                ),
            )
            .attr(
                "db_subnet_group_name",
                Attribute::optional_computed(Str, "Subnet group (default: the default VPC).")
                    .force_new(),
            )
            .attr(
                "vpc_security_group_ids",
                Attribute::optional_computed(string_set(), "Security groups."),
            )
            .attr(
                "multi_az",
                Attribute::optional_computed(Bool, "Keep a standby in another zone."),
            )
            .attr(
                "backup_retention_period",
                Attribute::optional_computed(num(), "Days to keep automated backups."),
            )
            .attr(
                "publicly_accessible",
                Attribute::optional_computed(Bool, "Reachable from outside the VPC."),
            )
            .attr(
                "port",
                Attribute::optional_computed(num(), "Port the database listens on."),
            )
            .attr(
                "deletion_protection",
                Attribute::optional(Bool, "Refuse to delete the database while true."),
            )
            .attr(
                "skip_final_snapshot",
                Attribute::optional(
                    Bool,
                    "Delete without a final snapshot (default false: a snapshot is required).",
                ),
            )
            .attr(
                "final_snapshot_identifier",
                Attribute::optional(Str, "Name of the snapshot taken when the database is deleted."),
            )
            .attr(
                "apply_immediately",
                Attribute::optional(
                    Bool,
                    "Apply changes now rather than in the next maintenance window.",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The identifier."))
            .attr("arn", Attribute::computed(Str, "ARN."))
            .attr("resource_id", Attribute::computed(Str, "RDS resource id (db-...)."))
            .attr("address", Attribute::computed(Str, "Host name."))
            .attr("endpoint", Attribute::computed(Str, "host:port."))
            .attr("status", Attribute::computed(Str, "available, modifying, ..."))
            .attr(
                "master_user_secret",
                Attribute::computed(
                    AttrType::List(Box::new(AttrType::Map(Box::new(Str)))),
                    "With manage_master_user_password: the secret holding the password (secret_arn, secret_status, kms_key_id).",
                ),
            ),
    );
    resources.insert(
        "aws_secretsmanager_secret".to_string(),
        Schema::new("A Secrets Manager secret (its value is a aws_secretsmanager_secret_version).")
            .attr(
                "name",
                Attribute::optional_computed(Str, "Name (generated from name_prefix when unset).")
                    .force_new(),
            )
            .attr(
                "name_prefix",
                Attribute::optional(Str, "Prefix of a generated name.").force_new(),
            )
            .attr("description", Attribute::optional(Str, "Description."))
            .attr(
                "kms_key_id",
                Attribute::optional(
                    Str,
                    "KMS key that encrypts the value (default: aws/secretsmanager).",
                ),
            )
            .attr(
                "recovery_window_in_days",
                Attribute::optional(
                    num(),
                    "Days a deleted secret can be restored (7-30, default 30; 0 deletes at once).",
                ),
            )
            .attr("tags", tags())
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("arn", Attribute::computed(Str, "ARN.")),
    );
    resources.insert(
        "aws_secretsmanager_secret_version".to_string(),
        Schema::new("A value of a secret. The value is sent to Secrets Manager and never stored by iac; state keeps the version id and a salted fingerprint.")
            .attr(
                "secret_id",
                Attribute::required(Str, "ARN or name of the secret.").force_new(),
            )
            .attr(
                "secret_string",
                Attribute::optional(Str, "The value, as text.").sensitive().force_new(),
            )
            .attr(
                "secret_binary",
                Attribute::optional(Str, "The value, base64-encoded.").sensitive().force_new(),
            )
            .attr(
                "version_stages",
                Attribute::optional_computed(string_set(), "Staging labels (default AWSCURRENT)."),
            )
            .attr("id", Attribute::computed(Str, "secret ARN|version id."))
            .attr("arn", Attribute::computed(Str, "ARN of the secret."))
            .attr("version_id", Attribute::computed(Str, "Version id from Secrets Manager.")),
    );
    data_sources.insert(
        "aws_secretsmanager_secret".to_string(),
        Schema::new("Looks up a secret by ARN or name (not its value).")
            .attr("arn", Attribute::optional_computed(Str, "ARN."))
            .attr("name", Attribute::optional_computed(Str, "Name."))
            .attr("id", Attribute::computed(Str, "The ARN."))
            .attr("description", Attribute::computed(Str, "Description."))
            .attr("kms_key_id", Attribute::computed(Str, "KMS key."))
            .attr(
                "tags",
                Attribute::computed(AttrType::Map(Box::new(Str)), "Tags."),
            ),
    );
    data_sources.insert(
        "aws_secretsmanager_secret_version".to_string(),
        Schema::new("Reads a secret's value (sensitive: shown and stored only as a fingerprint).")
            .attr(
                "secret_id",
                Attribute::required(Str, "ARN or name of the secret."),
            )
            .attr(
                "version_id",
                Attribute::optional_computed(Str, "A version id."),
            )
            .attr(
                "version_stage",
                Attribute::optional(Str, "A staging label (default AWSCURRENT)."),
            )
            .attr(
                "secret_string",
                Attribute::computed(Str, "The value.").sensitive(),
            )
            .attr(
                "secret_binary",
                Attribute::computed(Str, "The value, base64.").sensitive(),
            )
            .attr("arn", Attribute::computed(Str, "ARN of the secret."))
            .attr("id", Attribute::computed(Str, "secret ARN|version id."))
            .attr(
                "version_stages",
                Attribute::computed(string_set(), "Labels of the version."),
            ),
    );
}
