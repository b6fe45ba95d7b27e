//! One async slot per portal, created on first use: the caches (owners, CRM users) keep a
//! portal's snapshot in it, and holding its lock across a refresh makes refreshes single-flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::types::PortalId;

pub(crate) struct PortalSlots<T> {
    slots: Mutex<HashMap<PortalId, Arc<tokio::sync::Mutex<T>>>>,
}

impl<T: Default> PortalSlots<T> {
    pub(crate) fn new() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The portal's slot (a default value the first time).
    pub(crate) fn get(&self, portal: PortalId) -> Arc<tokio::sync::Mutex<T>> {
        let mut map = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(portal).or_default().clone()
    }
}
