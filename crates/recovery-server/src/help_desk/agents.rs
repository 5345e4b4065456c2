//! Who is an agent: a person of the directory whom `[[help_desk.agents]]` names, with the role
//! given there; failing that, a member of `help_desk.ldap_admin_group` (admin) or
//! `help_desk.ldap_group` (help_desk), when the directory can tell.

use recovery_api::help_desk::AgentRole;

use crate::{
    config::HelpDeskConfig, directory::Directory, directory::Person, error::RecoveryError,
};

/// The role the configuration, or a group of the directory, gives the person; `None` for
/// everyone else.
pub async fn role_of(
    config: &HelpDeskConfig,
    directory: &dyn Directory,
    person: &Person,
) -> Result<Option<AgentRole>, RecoveryError> {
    let username = person.username.to_lowercase();
    if let Some(agent) = config.agents.iter().find(|a| a.username == username) {
        return Ok(Some(agent.role));
    }
    for (group, role) in [
        (&config.ldap_admin_group, AgentRole::Admin),
        (&config.ldap_group, AgentRole::HelpDesk),
    ] {
        if let Some(group) = group {
            if directory.is_member_of(person, group).await? {
                return Ok(Some(role));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{
        config::AgentConfig,
        directory::{DirectoryError, PasswordCheck, PersonId},
    };
    use async_trait::async_trait;

    struct Groups(Vec<&'static str>);

    #[async_trait]
    impl Directory for Groups {
        async fn verify_password(
            &self,
            _: &str,
            _: &recovery_api::Secret,
        ) -> Result<PasswordCheck, DirectoryError> {
            Ok(PasswordCheck::Refused(
                crate::directory::PasswordRefusal::Invalid,
            ))
        }
        async fn date_of_birth(&self, _: &Person) -> Result<Option<time::Date>, DirectoryError> {
            Ok(None)
        }
        async fn person(&self, _: &PersonId) -> Result<Option<Person>, DirectoryError> {
            Ok(None)
        }
        async fn find_by_username(&self, _: &str) -> Result<Option<Person>, DirectoryError> {
            Ok(None)
        }
        async fn is_member_of(&self, _: &Person, group: &str) -> Result<bool, DirectoryError> {
            Ok(self.0.contains(&group))
        }
    }

    fn person(username: &str) -> Person {
        Person {
            id: PersonId(username.to_owned()),
            username: username.to_owned(),
            display_name: username.to_owned(),
            notification_emails: Vec::new(),
            phones: Vec::new(),
        }
    }

    #[tokio::test]
    async fn the_list_comes_first_then_the_admin_group_then_the_help_desk_group() {
        let config = HelpDeskConfig {
            agents: vec![AgentConfig {
                username: "hopper".to_owned(),
                role: AgentRole::HelpDesk,
            }],
            ldap_group: Some("cn=desk".to_owned()),
            ldap_admin_group: Some("cn=admins".to_owned()),
            ..HelpDeskConfig::default()
        };
        let both = Groups(vec!["cn=desk", "cn=admins"]);
        assert_eq!(
            role_of(&config, &both, &person("Hopper")).await.unwrap(),
            Some(AgentRole::HelpDesk)
        );
        assert_eq!(
            role_of(&config, &both, &person("ada")).await.unwrap(),
            Some(AgentRole::Admin)
        );
        let desk = Groups(vec!["cn=desk"]);
        assert_eq!(
            role_of(&config, &desk, &person("ada")).await.unwrap(),
            Some(AgentRole::HelpDesk)
        );
        let none = Groups(vec![]);
        assert_eq!(role_of(&config, &none, &person("ada")).await.unwrap(), None);
    }
}
