//! App-owned state.
