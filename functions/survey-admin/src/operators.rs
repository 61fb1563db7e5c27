//! `operator`: the people who may use the IMDi console, as users of the
//! Cognito user pool that signs them in, each in the group `operators` (may
//! change things) or `readers` (may look). `operator add` creates a user with
//! a temporary password, which they replace at their first sign-in, when they
//! also set up their authenticator app (TOTP is required).
//!
//! In AWS the pool is the stack's (`COGNITO_USER_POOL_ID`). Locally
//! `setup --seed-local` makes one in moto by name, and `operator env` prints
//! its ids for the local gateway.

use anyhow::Context;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, ExplicitAuthFlowsType, MessageActionType, SoftwareTokenMfaConfigType, UserPoolMfaType,
};
use aws_sdk_cognitoidentityprovider::Client;
use survey_domain::contact::Email;

/// The local pool's name in moto.
pub const LOCAL_POOL: &str = "survey-local-operators";
/// The console's app client in the local pool.
const LOCAL_CLIENT: &str = "console";
pub const GROUPS: [&str; 2] = ["operators", "readers"];

#[derive(clap::Subcommand)]
pub enum OperatorCommand {
    /// Gir en person tilgang til konsollet; skriver et midlertidig passord.
    Add {
        #[arg(long)]
        email: String,
        /// `operators` kan endre, `readers` kan bare se.
        #[arg(long, value_parser = GROUPS)]
        group: String,
    },
    /// Skriver brukerpoolens og klientens id-er for den lokale stakken.
    Env,
}

/// The pool and its console client.
pub struct Pool {
    pub pool_id: String,
    pub client_id: String,
}

/// The local pool, made if it is missing, with its groups and client.
pub async fn local_pool(client: &Client) -> anyhow::Result<(Pool, bool)> {
    let pools = client.list_user_pools().max_results(60).send().await.context("kan ikke liste brukerpoolene")?;
    let existing = pools.user_pools().iter().find(|p| p.name() == Some(LOCAL_POOL)).and_then(|p| p.id());
    let (pool_id, made) = match existing {
        Some(id) => (id.to_owned(), false),
        None => {
            let pool = client
                .create_user_pool()
                .pool_name(LOCAL_POOL)
                .mfa_configuration(UserPoolMfaType::On)
                .send()
                .await
                .context("kan ikke lage brukerpoolen")?;
            let id = pool.user_pool().and_then(|p| p.id()).context("brukerpoolen fikk ingen id")?.to_owned();
            client
                .set_user_pool_mfa_config()
                .user_pool_id(&id)
                .mfa_configuration(UserPoolMfaType::On)
                .software_token_mfa_configuration(SoftwareTokenMfaConfigType::builder().enabled(true).build())
                .send()
                .await
                .context("kan ikke kreve autentiseringsapp")?;
            for group in GROUPS {
                client
                    .create_group()
                    .user_pool_id(&id)
                    .group_name(group)
                    .send()
                    .await
                    .context("kan ikke lage gruppen")?;
            }
            client
                .create_user_pool_client()
                .user_pool_id(&id)
                .client_name(LOCAL_CLIENT)
                .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
                .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
                .send()
                .await
                .context("kan ikke lage klienten til konsollet")?;
            (id, true)
        }
    };
    let clients =
        client.list_user_pool_clients().user_pool_id(&pool_id).send().await.context("kan ikke liste klientene")?;
    let client_id = clients
        .user_pool_clients()
        .iter()
        .find(|c| c.client_name() == Some(LOCAL_CLIENT))
        .and_then(|c| c.client_id())
        .context("brukerpoolen har ingen klient for konsollet")?
        .to_owned();
    Ok((Pool { pool_id, client_id }, made))
}

/// A temporary password that meets Cognito's default policy: 20 characters
/// from a random ULID, with an upper-case letter, a lower-case letter, a digit
/// and a symbol for certain.
fn temporary_password() -> String {
    let random = ulid::Ulid::new().to_string();
    format!("{}Aa9!{}", &random[..8], &random[10..])
}

/// Creates a console user in `group`; the temporary password to hand them.
pub async fn add(client: &Client, pool_id: &str, email: &str, group: &str) -> anyhow::Result<String> {
    let email = Email::parse(email).map_err(|_| anyhow::anyhow!("`{email}` er ikke en e-postadresse"))?;
    let password = temporary_password();
    let attribute = |name: &str, value: &str| AttributeType::builder().name(name).value(value).build();
    client
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(email.as_str())
        .user_attributes(attribute("email", email.as_str())?)
        .user_attributes(attribute("email_verified", "true")?)
        .temporary_password(&password)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .with_context(|| format!("kan ikke lage brukeren {}", email.as_str()))?;
    client
        .admin_add_user_to_group()
        .user_pool_id(pool_id)
        .username(email.as_str())
        .group_name(group)
        .send()
        .await
        .with_context(|| format!("kan ikke legge brukeren i {group}"))?;
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_password_has_every_kind_of_character_cognito_asks_for() {
        for _ in 0..50 {
            let p = temporary_password();
            assert!(p.len() >= 20, "{p}");
            assert!(p.chars().any(|c| c.is_ascii_uppercase()), "{p}");
            assert!(p.chars().any(|c| c.is_ascii_lowercase()), "{p}");
            assert!(p.chars().any(|c| c.is_ascii_digit()), "{p}");
            assert!(p.chars().any(|c| !c.is_ascii_alphanumeric()), "{p}");
        }
        assert_ne!(temporary_password(), temporary_password());
    }
}
