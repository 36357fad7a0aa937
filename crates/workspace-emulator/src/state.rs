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
    /// Workspace API calls being handled now, keyed like `calls`.
    in_flight: Mutex<BTreeMap<String, u64>>,
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
                in_flight: Mutex::new(BTreeMap::new()),
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

    /// Counts `call` as in flight until the returned guard is dropped, which happens when the
    /// handler returns its response or hyper drops it because the connection closed.
    pub(crate) fn track_in_flight(&self, call: String) -> InFlightGuard {
        *lock(&self.shared.in_flight)
            .entry(call.clone())
            .or_insert(0) += 1;
        InFlightGuard {
            state: self.clone(),
            call,
        }
    }

    /// Returns the number of calls in flight per call name. A call name stays listed with 0
    /// once its last call has finished.
    pub(crate) fn in_flight(&self) -> BTreeMap<String, u64> {
        lock(&self.shared.in_flight).clone()
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
    /// In-flight counts are left alone because they describe requests still being handled.
    pub(crate) fn reset(&self) {
        *self.directory() = Directory::from_fixture(self.fixture());
        self.calls().clear();
        self.invocations().clear();
        self.faults().clear();
    }
}

/// Marks one call as in flight while it lives.
#[must_use = "the call counts as in flight only while the guard lives"]
pub(crate) struct InFlightGuard {
    state: AppState,
    call: String,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut in_flight = lock(&self.state.shared.in_flight);
        if let Some(count) = in_flight.get_mut(&self.call) {
            *count = count.saturating_sub(1);
        }
    }
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it: every critical section
/// here leaves its data consistent between statements.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
