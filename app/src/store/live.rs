//! Live updates: telling everyone who has a lead open that its timeline changed, and people that they
//! were mentioned. Within a process a broadcast channel fans out; with Postgres the news travels through
//! LISTEN/NOTIFY, so a browser connected to another server process hears it too (the notification is sent
//! at commit and never for a rolled-back write). SQLite is one process: news goes out after commit.

use super::{Db, Engine};
use crate::error::AppResult;
use sqlx::{Any, Transaction};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast;
use uuid::Uuid;

const CHANNEL: &str = "prospecta_live";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveEvent {
    /// Something was added to or changed on this lead's timeline.
    Timeline { lead_id: Uuid, item_id: Uuid },
    /// This person has a new notification.
    Notify { user_id: Uuid },
    /// Some of this person's sessions ended (signed out everywhere, deactivated): their streams check theirs.
    Sessions { user_id: Uuid },
    /// This lead changed hands or was deleted: streams following it check that their person may still read it.
    Moved { lead_id: Uuid },
}

impl LiveEvent {
    /// Only ids and a word: safe inside a NOTIFY literal and far below its 8,000-byte limit.
    pub fn encode(&self) -> String {
        match self {
            LiveEvent::Timeline { lead_id, item_id } => format!("timeline {lead_id} {item_id}"),
            LiveEvent::Notify { user_id } => format!("notify {user_id}"),
            LiveEvent::Sessions { user_id } => format!("sessions {user_id}"),
            LiveEvent::Moved { lead_id } => format!("moved {lead_id}"),
        }
    }

    pub fn decode(s: &str) -> Option<LiveEvent> {
        let mut parts = s.split(' ');
        match parts.next()? {
            "timeline" => Some(LiveEvent::Timeline {
                lead_id: Uuid::parse_str(parts.next()?).ok()?,
                item_id: Uuid::parse_str(parts.next()?).ok()?,
            }),
            "notify" => Some(LiveEvent::Notify {
                user_id: Uuid::parse_str(parts.next()?).ok()?,
            }),
            "sessions" => Some(LiveEvent::Sessions {
                user_id: Uuid::parse_str(parts.next()?).ok()?,
            }),
            "moved" => Some(LiveEvent::Moved {
                lead_id: Uuid::parse_str(parts.next()?).ok()?,
            }),
            _ => None,
        }
    }
}

/// This process's listeners. Cheap to clone; one per `Db`.
#[derive(Clone, Debug)]
pub struct Live {
    tx: broadcast::Sender<LiveEvent>,
    listening: Arc<AtomicBool>,
    url: Arc<String>,
}

impl Live {
    pub fn new(url: &str) -> Live {
        // Room for bursts; a listener that falls further behind is told to reload (see `Lagged`).
        let (tx, _) = broadcast::channel(4096);
        Live {
            tx,
            listening: Arc::new(AtomicBool::new(false)),
            url: Arc::new(url.to_string()),
        }
    }

    /// Starts hearing events. On Postgres the first subscriber starts this process's LISTEN connection.
    pub fn subscribe(&self, kind: Engine) -> broadcast::Receiver<LiveEvent> {
        let rx = self.tx.subscribe();
        if kind == Engine::Postgres && !self.listening.swap(true, Ordering::SeqCst) {
            tokio::spawn(listen(self.url.clone(), self.tx.clone()));
        }
        rx
    }

    pub fn listeners(&self) -> usize {
        self.tx.receiver_count()
    }
}

/// Forwards Postgres notifications to this process's listeners, reconnecting after a failure.
async fn listen(url: Arc<String>, tx: broadcast::Sender<LiveEvent>) {
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut l) => {
                if let Err(e) = l.listen(CHANNEL).await {
                    tracing::warn!("live updates: LISTEN failed: {e}");
                } else {
                    loop {
                        match l.recv().await {
                            Ok(n) => {
                                if let Some(e) = LiveEvent::decode(n.payload()) {
                                    let _ = tx.send(e);
                                }
                            }
                            Err(e) => {
                                tracing::warn!("live updates: connection lost: {e}");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!("live updates: cannot connect for LISTEN: {e}"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Inside the writing transaction: on Postgres, queue the notifications (sent at commit).
pub(crate) async fn announce(tx: &mut Transaction<'_, Any>, kind: Engine, events: &[LiveEvent]) -> AppResult<()> {
    if kind != Engine::Postgres {
        return Ok(());
    }
    for e in events {
        // The payload is ids and fixed words only (see `encode`), so it needs no escaping.
        sqlx::query(&format!("NOTIFY {CHANNEL}, '{}'", e.encode()))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// After commit: on SQLite, tell this process's listeners (on Postgres they hear it through LISTEN).
pub(crate) fn committed(db: &Db, events: &[LiveEvent]) {
    if db.kind == Engine::Postgres {
        return;
    }
    for e in events {
        let _ = db.live.tx.send(*e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_trip_through_text() {
        let e = LiveEvent::Timeline {
            lead_id: Uuid::now_v7(),
            item_id: Uuid::now_v7(),
        };
        assert_eq!(LiveEvent::decode(&e.encode()), Some(e));
        for e in [
            LiveEvent::Notify {
                user_id: Uuid::now_v7(),
            },
            LiveEvent::Sessions {
                user_id: Uuid::now_v7(),
            },
            LiveEvent::Moved {
                lead_id: Uuid::now_v7(),
            },
        ] {
            assert_eq!(LiveEvent::decode(&e.encode()), Some(e));
        }
        assert_eq!(LiveEvent::decode("timeline x y"), None);
        assert!(!e.encode().contains('\''));
    }
}
