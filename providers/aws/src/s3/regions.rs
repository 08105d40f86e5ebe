//! What S3 is called in each region, without a call: the Route 53 hosted zone of
//! its website endpoints (for alias records) and the endpoints' host names. The
//! values are the Terraform AWS provider's
//! (tests/it/testdata/terraform/s3_regions.txt, made by scripts/terraform-golden.sh
//! and compared by tests/it/s3.rs).

/// The hosted zone of S3's website endpoints, by region.
const HOSTED_ZONES: &[(&str, &str)] = &[
    ("af-south-1", "Z83WF9RJE8B12"),
    ("ap-east-1", "ZNB98KWMFR0R6"),
    ("ap-northeast-1", "Z2M4EHUR26P7ZW"),
    ("ap-northeast-2", "Z3W03O7B5YMIYP"),
    ("ap-northeast-3", "Z2YQB5RD63NC85"),
    ("ap-south-1", "Z11RGJOFQNVJUP"),
    ("ap-south-2", "Z02976202B4EZMXIPMXF7"),
    ("ap-southeast-1", "Z3O0J2DXBE1FTB"),
    ("ap-southeast-2", "Z1WCIGYICN2BYD"),
    ("ap-southeast-3", "Z01846753K324LI26A3VV"),
    ("ap-southeast-4", "Z0312387243XT5FE14WFO"),
    ("ap-southeast-5", "Z08660063OXLMA7F1FJHU"),
    ("ap-southeast-7", "Z0031014GXUMRZG6I14G"),
    ("ca-central-1", "Z1QDHH18159H29"),
    ("ca-west-1", "Z03565811Z33SLEZTHOUL"),
    ("cn-north-1", "Z5CN8UMXT92WN"),
    ("cn-northwest-1", "Z282HJ1KT0DH03"),
    ("eu-central-1", "Z21DNDUVLTQW6Q"),
    ("eu-central-2", "Z030506016YDQGETNASS"),
    ("eu-north-1", "Z3BAZG2TWCNX0D"),
    ("eu-south-1", "Z30OZKI7KPW7MI"),
    ("eu-south-2", "Z0081959F7139GRJC19J"),
    ("eu-west-1", "Z1BKCTXD74EZPE"),
    ("eu-west-2", "Z3GKZC51ZF0DB4"),
    ("eu-west-3", "Z3R1K369G5AVDG"),
    ("il-central-1", "Z09640613K4A3MN55U7GU"),
    ("me-central-1", "Z06143092I8HRXZRUZROF"),
    ("me-south-1", "Z1MPMWCPA7YB62"),
    ("mx-central-1", "Z057606446ZNVQJJ8WOP"),
    ("sa-east-1", "Z7KQH4QJS55SO"),
    ("us-east-1", "Z3AQBSTGFYJSTF"),
    ("us-east-2", "Z2O1EMRO9K5GLX"),
    ("us-gov-east-1", "Z2NIFVYYW2VKV1"),
    ("us-gov-west-1", "Z31GFT0UA1I2HV"),
    ("us-west-1", "Z2F56UZL2M1ACD"),
    ("us-west-2", "Z3BJ6K6RIION7M"),
];

/// The hosted zone of S3's website endpoints in a region (none for a region
/// iac does not know: null, as Terraform's provider leaves it).
pub(crate) fn hosted_zone_id(region: &str) -> Option<&'static str> {
    HOSTED_ZONES
        .binary_search_by(|(r, _)| (*r).cmp(region))
        .ok()
        .map(|i| HOSTED_ZONES[i].1)
}

/// A bucket's website endpoint and the domain it is in.
pub(crate) fn website_host(bucket: &str, region: &str) -> (String, String) {
    // The oldest regions write the website endpoint with a dash before the region.
    const DASH: &[&str] = &[
        "us-east-1",
        "us-west-1",
        "us-west-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "eu-west-1",
        "sa-east-1",
        "us-gov-west-1",
    ];
    let (_, suffix, _) = crate::region::partition_of(region);
    let domain = if DASH.contains(&region) {
        format!("s3-website-{region}.{suffix}")
    } else {
        format!("s3-website.{region}.{suffix}")
    };
    (format!("{bucket}.{domain}"), domain)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_is_sorted_for_its_search() {
        assert!(super::HOSTED_ZONES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(super::hosted_zone_id("us-east-1"), Some("Z3AQBSTGFYJSTF"));
        assert_eq!(super::hosted_zone_id("xx-nowhere-1"), None);
    }
}
