//! The rule files embedded in the binary (`rules/*.toml`, one per provider) and the origin
//! prefix that marks them, so their patterns may compile on first use.

/// The rule files compiled into the binary, by file name.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("age.toml", include_str!("../../rules/age.toml")),
    ("alibaba.toml", include_str!("../../rules/alibaba.toml")),
    ("anthropic.toml", include_str!("../../rules/anthropic.toml")),
    ("atlassian.toml", include_str!("../../rules/atlassian.toml")),
    ("aws.toml", include_str!("../../rules/aws.toml")),
    ("azure.toml", include_str!("../../rules/azure.toml")),
    ("cli.toml", include_str!("../../rules/cli.toml")),
    (
        "cloudflare.toml",
        include_str!("../../rules/cloudflare.toml"),
    ),
    ("database.toml", include_str!("../../rules/database.toml")),
    (
        "databricks.toml",
        include_str!("../../rules/databricks.toml"),
    ),
    (
        "digitalocean.toml",
        include_str!("../../rules/digitalocean.toml"),
    ),
    ("discord.toml", include_str!("../../rules/discord.toml")),
    ("django.toml", include_str!("../../rules/django.toml")),
    ("docker.toml", include_str!("../../rules/docker.toml")),
    (
        "dockerfile.toml",
        include_str!("../../rules/dockerfile.toml"),
    ),
    ("doppler.toml", include_str!("../../rules/doppler.toml")),
    ("files.toml", include_str!("../../rules/files.toml")),
    ("firebase.toml", include_str!("../../rules/firebase.toml")),
    ("gcp.toml", include_str!("../../rules/gcp.toml")),
    ("generic.toml", include_str!("../../rules/generic.toml")),
    ("github.toml", include_str!("../../rules/github.toml")),
    ("gitlab.toml", include_str!("../../rules/gitlab.toml")),
    ("grafana.toml", include_str!("../../rules/grafana.toml")),
    ("hashicorp.toml", include_str!("../../rules/hashicorp.toml")),
    ("heroku.toml", include_str!("../../rules/heroku.toml")),
    (
        "huggingface.toml",
        include_str!("../../rules/huggingface.toml"),
    ),
    ("image.toml", include_str!("../../rules/image.toml")),
    (
        "kubernetes.toml",
        include_str!("../../rules/kubernetes.toml"),
    ),
    ("linear.toml", include_str!("../../rules/linear.toml")),
    ("mailchimp.toml", include_str!("../../rules/mailchimp.toml")),
    ("mailgun.toml", include_str!("../../rules/mailgun.toml")),
    ("mapbox.toml", include_str!("../../rules/mapbox.toml")),
    ("newrelic.toml", include_str!("../../rules/newrelic.toml")),
    ("npm.toml", include_str!("../../rules/npm.toml")),
    ("nuget.toml", include_str!("../../rules/nuget.toml")),
    ("okta.toml", include_str!("../../rules/okta.toml")),
    (
        "onepassword.toml",
        include_str!("../../rules/onepassword.toml"),
    ),
    ("openai.toml", include_str!("../../rules/openai.toml")),
    ("paypal.toml", include_str!("../../rules/paypal.toml")),
    ("postman.toml", include_str!("../../rules/postman.toml")),
    (
        "private-key.toml",
        include_str!("../../rules/private-key.toml"),
    ),
    ("pulumi.toml", include_str!("../../rules/pulumi.toml")),
    ("pypi.toml", include_str!("../../rules/pypi.toml")),
    ("rails.toml", include_str!("../../rules/rails.toml")),
    ("rubygems.toml", include_str!("../../rules/rubygems.toml")),
    ("sendgrid.toml", include_str!("../../rules/sendgrid.toml")),
    ("sentry.toml", include_str!("../../rules/sentry.toml")),
    ("shopify.toml", include_str!("../../rules/shopify.toml")),
    ("slack.toml", include_str!("../../rules/slack.toml")),
    ("square.toml", include_str!("../../rules/square.toml")),
    ("stripe.toml", include_str!("../../rules/stripe.toml")),
    ("telegram.toml", include_str!("../../rules/telegram.toml")),
    ("twilio.toml", include_str!("../../rules/twilio.toml")),
];

/// The origin prefix of embedded rule files; their patterns compile on first use.
pub(super) const BUILTIN_ORIGIN: &str = "builtin:";

/// The embedded rule files as `(origin, text)` pairs for [`super::RuleSet::from_files`].
pub fn builtin_files() -> Vec<(String, String)> {
    BUILTIN_FILES
        .iter()
        .map(|(name, text)| (format!("{BUILTIN_ORIGIN}{name}"), (*text).to_owned()))
        .collect()
}
