//! Admin routes: the data deactivated users left behind, and running the retention job now.
//!
//! Both take an [`AdminIdentity`], so a caller outside `ADMIN_USERS` gets 403 `ADMIN_REQUIRED`
//! and every call writes an audit log line.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AdminIdentity;
use crate::error::{AppError, ErrorBody, ErrorCode};
use crate::http::json::NoBody;
use crate::http::openapi::responses::{DatabaseErrors, LayerErrors, SignedInUserErrors};
use crate::http::query::ApiQuery;
use crate::http::routes::preferences::store_error;
use crate::retention::{self, JobError, JobOptions, JobSummary};
use crate::state::AppState;
use crate::store::{CrossUserAccess, DeactivatedUser, Store};

/// Largest `page_size` of the orphaned-records listing.
pub const MAX_PAGE_SIZE: u32 = 100;

/// `page_size` when the request has none.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrphanedRecordsQuery {
    /// Page number, from 1; 1 when absent.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Page size; 50 when absent.
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
}

/// One deactivated user who still has data.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrphanedRecord {
    pub user_id: String,
    pub deactivated_at: DateTime<Utc>,
    pub preference_count: u64,
    pub inference_log_count: u64,
    /// Whether the user was marked at least `RETENTION_DAYS` ago, so that the next run of the
    /// retention job deletes the data unless the user is active again by then.
    pub retention_expired: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrphanedRecordsPage {
    pub items: Vec<OrphanedRecord>,
    pub page: u32,
    pub page_size: u32,
    pub total_count: u64,
}

/// `GET /api/admin/orphaned-records?page=1&page_size=50`: deactivated users with data, the
/// earliest deactivated first.
#[utoipa::path(
    get,
    path = "/api/admin/orphaned-records",
    tag = "admin",
    operation_id = "list_orphaned_records",
    security(("user_token" = [])),
    params(OrphanedRecordsQuery),
    responses(
        (status = 200, description = "A page of deactivated users with data, the earliest deactivated first", body = OrphanedRecordsPage),
        (status = 400, description = "VALIDATION_ERROR: an invalid query parameter", body = ErrorBody),
        DatabaseErrors,
        SignedInUserErrors,
        (status = 403, description = "ADMIN_REQUIRED: the caller is not in ADMIN_USERS", body = ErrorBody),
        LayerErrors,
    )
)]
pub async fn orphaned_records(
    State(state): State<AppState>,
    AdminIdentity(admin): AdminIdentity,
    ApiQuery(query): ApiQuery<OrphanedRecordsQuery>,
) -> Result<Json<OrphanedRecordsPage>, AppError> {
    let page = query.page.unwrap_or(1);
    let page_size = query.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if page == 0 {
        return Err(AppError::invalid_parameter("page must be 1 or more, got 0"));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(AppError::invalid_parameter(format!(
            "page_size must be from 1 to {MAX_PAGE_SIZE}, got {page_size}"
        )));
    }
    let offset = (page - 1).checked_mul(page_size).ok_or_else(|| {
        AppError::invalid_parameter(format!(
            "page {page} is beyond the last possible page for page_size {page_size}"
        ))
    })?;
    let store = store(&state)?;

    let access = CrossUserAccess {
        actor: admin.user_id.as_str(),
        reason: "admin listing of data left by deactivated users",
    };
    let (users, total_count) = store
        .list_deactivated_users(&access, page_size, offset)
        .await
        .map_err(store_error)?;

    let deactivated_before = Utc::now() - Duration::days(i64::from(state.config.retention_days));
    let items = users
        .into_iter()
        .map(|user| orphaned_record(user, deactivated_before))
        .collect();
    Ok(Json(OrphanedRecordsPage {
        items,
        page,
        page_size,
        total_count,
    }))
}

fn orphaned_record(user: DeactivatedUser, deactivated_before: DateTime<Utc>) -> OrphanedRecord {
    OrphanedRecord {
        retention_expired: user.deactivated_at <= deactivated_before,
        user_id: user.user_id,
        deactivated_at: user.deactivated_at,
        preference_count: user.preference_count,
        inference_log_count: user.inference_log_count,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CleanupQuery {
    /// `true` reports what the run would delete without deleting; `false` when absent.
    pub dry_run: Option<bool>,
}

/// `POST /api/admin/cleanup?dry_run=true`: runs the retention job now and returns its summary;
/// without `dry_run=true` it deletes. The request body must be empty or `{}`.
///
/// The run is a background task of the app, so a client that disconnects does not stop it
/// half-way. Shutdown does stop it, between two users' transactions or inside one, which then
/// rolls back.
#[utoipa::path(
    post,
    path = "/api/admin/cleanup",
    tag = "admin",
    operation_id = "run_cleanup",
    security(("user_token" = [])),
    params(CleanupQuery),
    responses(
        (status = 200, description = "The summary of the run", body = JobSummary),
        (status = 400, description = "VALIDATION_ERROR: an invalid query parameter", body = ErrorBody),
        (status = 408, description = "REQUEST_TIMEOUT: the body did not arrive in time", body = ErrorBody),
        (status = 409, description = "JOB_ALREADY_RUNNING: another run has the job's lock", body = ErrorBody),
        (status = 413, description = "PAYLOAD_TOO_LARGE: the body exceeds the app's size limit", body = ErrorBody),
        (status = 422, description = "VALIDATION_ERROR: the body is neither empty nor `{}`", body = ErrorBody),
        (status = 403, description = "ADMIN_REQUIRED: the caller is not in ADMIN_USERS; or CSRF_REJECTED: the request failed the cross-site request forgery check", body = ErrorBody),
        (status = 503, description = "LAKEBASE_NOT_CONFIGURED, DATABASE_UNAVAILABLE, or UPSTREAM_UNAVAILABLE when no service principal is configured or the app is shutting down", body = ErrorBody),
        SignedInUserErrors,
        LayerErrors,
    )
)]
pub async fn cleanup(
    State(state): State<AppState>,
    AdminIdentity(admin): AdminIdentity,
    ApiQuery(query): ApiQuery<CleanupQuery>,
    _body: NoBody,
) -> Result<Json<JobSummary>, AppError> {
    let store = Arc::clone(store(&state)?);
    let Some(directory) = state.service_principal.clone() else {
        return Err(AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamUnavailable,
            "The retention job looks users up as the app's service principal, and none is \
             configured: set DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET",
        ));
    };
    let options = JobOptions::new(
        state.config.retention_days,
        query.dry_run.unwrap_or(false),
        admin.user_id.as_str(),
    );

    let (sender, receiver) = tokio::sync::oneshot::channel();
    state.background.spawn(async move {
        let result = retention::run(store.as_ref(), &directory, &options).await;
        // The receiver is gone when the request was cancelled; the job's own logs remain.
        let _ = sender.send(result);
    });
    let result = receiver.await.map_err(|_| {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::UpstreamUnavailable,
            "The retention job was stopped because the app is shutting down; run it again later",
        )
    })?;

    match result {
        Ok(summary) => Ok(Json(summary)),
        Err(JobError::AlreadyRunning) => Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::JobAlreadyRunning,
            "The retention job is already running; try again after it finishes",
        )),
        Err(JobError::Store(error)) => Err(store_error(error)),
    }
}

fn store(state: &AppState) -> Result<&Arc<dyn Store>, AppError> {
    state
        .store
        .as_ref()
        .ok_or_else(AppError::lakebase_not_configured)
}
