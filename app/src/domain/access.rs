//! Who may read, edit and reassign which lead. The store filters lists with the same rules (see `read_scope`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum Role {
    Seller,
    Manager,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Seller, Role::Manager, Role::Admin];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Seller => "seller",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Seller => "Seller",
            Role::Manager => "Sales manager",
            Role::Admin => "Admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// The signed-in person, as the rules need them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Uuid,
    pub team_id: Uuid,
    pub role: Role,
}

/// The facts about a lead the rules look at.
#[derive(Clone, Copy, Debug)]
pub struct LeadRef {
    pub owner_id: Uuid,
    pub team_id: Uuid,
}

/// Which leads a list may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadScope {
    All,
    Team(Uuid),
}

pub fn read_scope(a: &Actor) -> ReadScope {
    match a.role {
        Role::Admin => ReadScope::All,
        Role::Seller | Role::Manager => ReadScope::Team(a.team_id),
    }
}

pub fn can_read(a: &Actor, lead: LeadRef) -> bool {
    match read_scope(a) {
        ReadScope::All => true,
        ReadScope::Team(t) => lead.team_id == t,
    }
}

pub fn can_edit(a: &Actor, lead: LeadRef) -> bool {
    match a.role {
        Role::Admin => true,
        Role::Manager => lead.team_id == a.team_id,
        Role::Seller => lead.owner_id == a.user_id,
    }
}

/// Reassigning: managers within their team, admins anywhere. `new_owner_team` is the new owner's team.
pub fn can_reassign(a: &Actor, lead: LeadRef, new_owner_team: Uuid) -> bool {
    match a.role {
        Role::Admin => true,
        Role::Manager => lead.team_id == a.team_id && new_owner_team == a.team_id,
        Role::Seller => false,
    }
}

/// A new lead must be owned by someone the creator could reassign to; a seller owns what they create.
pub fn can_create_for(a: &Actor, owner_id: Uuid, owner_team: Uuid) -> bool {
    match a.role {
        Role::Admin => true,
        Role::Manager => owner_team == a.team_id,
        Role::Seller => owner_id == a.user_id,
    }
}

pub fn can_delete(a: &Actor) -> bool {
    a.role == Role::Admin
}

/// The shared competitor list is kept by managers and admins; sellers read it and link from it.
pub fn can_manage_competitors(a: &Actor) -> bool {
    a.role != Role::Seller
}

pub fn can_manage_users(a: &Actor) -> bool {
    a.role == Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, team: Uuid) -> Actor {
        Actor {
            user_id: Uuid::now_v7(),
            team_id: team,
            role,
        }
    }

    #[test]
    fn sellers_read_their_team_and_edit_their_own() {
        let (t1, t2) = (Uuid::now_v7(), Uuid::now_v7());
        let s = actor(Role::Seller, t1);
        let own = LeadRef {
            owner_id: s.user_id,
            team_id: t1,
        };
        let colleague = LeadRef {
            owner_id: Uuid::now_v7(),
            team_id: t1,
        };
        let other_team = LeadRef {
            owner_id: Uuid::now_v7(),
            team_id: t2,
        };
        assert!(can_read(&s, own) && can_edit(&s, own));
        assert!(can_read(&s, colleague) && !can_edit(&s, colleague));
        assert!(!can_read(&s, other_team) && !can_edit(&s, other_team));
        assert!(!can_reassign(&s, own, t1));
        assert!(!can_delete(&s) && !can_manage_competitors(&s));
        assert!(can_create_for(&s, s.user_id, t1) && !can_create_for(&s, colleague.owner_id, t1));
    }

    #[test]
    fn managers_run_their_team() {
        let (t1, t2) = (Uuid::now_v7(), Uuid::now_v7());
        let m = actor(Role::Manager, t1);
        let colleague = LeadRef {
            owner_id: Uuid::now_v7(),
            team_id: t1,
        };
        let other_team = LeadRef {
            owner_id: Uuid::now_v7(),
            team_id: t2,
        };
        assert!(can_edit(&m, colleague) && can_reassign(&m, colleague, t1));
        assert!(!can_reassign(&m, colleague, t2));
        assert!(!can_read(&m, other_team) && !can_edit(&m, other_team));
        assert!(!can_manage_users(&m) && can_manage_competitors(&m));
    }

    #[test]
    fn admins_do_everything() {
        let a = actor(Role::Admin, Uuid::now_v7());
        let lead = LeadRef {
            owner_id: Uuid::now_v7(),
            team_id: Uuid::now_v7(),
        };
        assert!(can_read(&a, lead) && can_edit(&a, lead) && can_reassign(&a, lead, Uuid::now_v7()));
        assert!(can_delete(&a) && can_manage_users(&a));
        assert_eq!(read_scope(&a), ReadScope::All);
    }

    #[test]
    fn roles_parse() {
        assert_eq!(Role::parse(" Manager "), Some(Role::Manager));
        assert_eq!(Role::parse("boss"), None);
    }
}
