//! Shared state of a running emulator: the directory of principals and tokens, call and
//! invocation counts and the fault queue.

mod directory;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub(crate) use directory::{Directory, TokenCheck};

use crate::faults::FaultQueue;
use crate::fixture::Fixture;

/// Cheap to clone: every clone shares the same state.
#[derive(Clone)]
pub(crate) struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    fixture: Fixture,
    directory: Mutex<Directory>,
    /// Workspace API calls per `"<METHOD> <route template>"`.
    calls: Mutex<BTreeMap<String, u64>>,
    faults: Mutex<FaultQueue>,
    /// Answered serving endpoint invocations per endpoint name.
    invocations: Mutex<BTreeMap<String, u64>>,
}

impl AppState {
    pub(crate) fn new(fixture: Fixture) -> Self {
        let directory = Directory::from_fixture(&fixture);
        Self {
            shared: Arc::new(Shared {
                fixture,
                directory: Mutex::new(directory),
                calls: Mutex::new(BTreeMap::new()),
                faults: Mutex::new(FaultQueue::default()),
                invocations: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    pub(crate) fn fixture(&self) -> &Fixture {
        &self.shared.fixture
    }

    pub(crate) fn directory(&self) -> MutexGuard<'_, Directory> {
        lock(&self.shared.directory)
    }

    pub(crate) fn calls(&self) -> MutexGuard<'_, BTreeMap<String, u64>> {
        lock(&self.shared.calls)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultQueue> {
        lock(&self.shared.faults)
    }

    /// Counts one answered invocation of a serving endpoint.
    pub(crate) fn count_invocation(&self, endpoint: &str) {
        *lock(&self.shared.invocations)
            .entry(endpoint.to_owned())
            .or_insert(0) += 1;
    }

    pub(crate) fn invocations(&self) -> MutexGuard<'_, BTreeMap<String, u64>> {
        lock(&self.shared.invocations)
    }

    /// Returns principals, tokens, faults and call counts to the state the fixture describes.
    pub(crate) fn reset(&self) {
        *self.directory() = Directory::from_fixture(self.fixture());
        self.calls().clear();
        self.invocations().clear();
        self.faults().clear();
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it: every critical section
/// here leaves its data consistent between statements.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
