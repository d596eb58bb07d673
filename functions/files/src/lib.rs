//! Lambda `files`: uploads and what became of them. `POST /api/v1/files/upload` hands out a
//! presigned S3 PUT (type and size bound into the signature, 50 MB at most) or, for
//! `multipart/form-data` up to 4 MB (Lambda's 6 MB request limit, base64), stores the file itself; either way S3 notifies the files
//! queue and `file-processor` detects, extracts and previews it. The item in DynamoDB says where
//! the file is (`pending → uploaded → processing → processed | failed`).

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use files_core::{FileRecord, FileStatus};
use platform::auth::{Authenticator, Identity};
use platform::aws::AwsClients;
use platform::config::{Config, ConfigError};
use platform::error::{ApiError, FieldError};
use platform::http::parse_json;
use platform::ids::FileId;
use platform::store::{Store, Under, keys};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How long an upload URL stays valid.
const UPLOAD_URL_TTL: Duration = Duration::from_secs(15 * 60);

/// Everything the handlers share; built once per cold start.
#[derive(Clone)]
pub struct AppState {
    /// Scopes every request: metrics and usage counters.
    pub telemetry: platform::telemetry::Telemetry,
    pub auth: Authenticator,
    pub store: Store,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub sfn: aws_sdk_sfn::Client,
    pub sagas: std::sync::Arc<std::collections::HashMap<String, String>>,
    /// Checks that an import's base is the tenant's.
    pub airtable: airtable_client::Airtable,
}

impl AppState {
    pub async fn new(config: Config, aws: AwsClients) -> Result<Self, ConfigError> {
        let auth = Authenticator::load(&config, &aws).await?;
        let store = auth.store().clone();
        let airtable_store = store.clone();
        Ok(Self {
            telemetry: platform::telemetry::Telemetry::new("files", &config, auth.store().clone()),
            auth,
            store,
            s3: aws.s3().clone(),
            bucket: config.uploads_bucket.clone(),
            sfn: aws.sfn().clone(),
            sagas: std::sync::Arc::new(config.saga_state_machines.clone()),
            airtable: airtable_client::Airtable::new(
                &config.airtable_api_url,
                airtable_store,
                aws.kms().clone(),
                config.kms_key_id.clone(),
            ),
        })
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// `POST /api/v1/files/upload` JSON body. Its schema (below) is one variant per accepted kind,
/// so the document says which extensions go with which content type, as `check` does.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadRequest {
    pub filename: String,
    pub content_type: String,
    /// Bytes; at most 50 MB.
    pub size: u64,
}

impl utoipa::PartialSchema for UploadRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let mut one_of = OneOfBuilder::new();
        for (_, extensions, content_types) in files_core::KINDS {
            let either_case = |ext: &str| -> String {
                ext.chars()
                    .map(|c| format!("[{}{}]", c, c.to_ascii_uppercase()))
                    .collect()
            };
            let longest = extensions.iter().map(|e| e.len()).max().unwrap_or(0);
            let ext = extensions
                .iter()
                .map(|e| either_case(e))
                .collect::<Vec<_>>()
                .join("|");
            // `check`'s rule: trimmed, 1–255 characters, no control character or '/', ending in
            // the kind's extension.
            let (ws, ctrl) = (platform::ids::WHITE_SPACE, platform::ids::CONTROL);
            let filename = format!(
                "^[{ws}]*(?:[^{ctrl}{ws}/][^{ctrl}/]{{0,{}}})?\\.(?:{ext})[{ws}]*$",
                253 - longest
            );
            one_of = one_of.item(
                ObjectBuilder::new()
                    .property(
                        "filename",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .pattern(Some(filename)),
                    )
                    .property(
                        "contentType",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(content_types.iter().copied())),
                    )
                    .property(
                        "size",
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .description(Some("Bytes; at most 50 MB."))
                            .minimum(Some(1))
                            .maximum(Some(files_core::MAX_UPLOAD_BYTES)),
                    )
                    .required("filename")
                    .required("contentType")
                    .required("size")
                    .additional_properties(Some(
                        utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                    )),
            );
        }
        one_of.into()
    }
}

impl utoipa::ToSchema for UploadRequest {}

/// Checks a name, type and size; returns the declared kind.
fn check(name: &str, content_type: &str, size: u64, max: u64) -> Result<&'static str, ApiError> {
    let mut errors = Vec::new();
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > 255
        || name.chars().any(char::is_control)
        || name.contains('/')
    {
        errors.push(FieldError::new(
            "filename",
            "must be a file name of 1 to 255 printable characters, without '/'",
        ));
    }
    let by_type = files_core::kind_of_content_type(content_type);
    let by_name = files_core::kind_of_name(name);
    match (by_type, by_name) {
        (None, _) => errors.push(FieldError::new(
            "contentType",
            "must be one of: CSV (text/csv), TSV, JSON, XLSX, TXT (text/plain), PDF, DOCX",
        )),
        (Some(t), Some(n)) if t != n => errors.push(FieldError::new(
            "filename",
            format!("its extension says {n} but contentType says {t}"),
        )),
        (Some(_), None) => errors.push(FieldError::new(
            "filename",
            "needs the extension of its type (.csv, .tsv, .json, .xlsx, .txt, .pdf, .docx)",
        )),
        _ => {}
    }
    if size == 0 {
        errors.push(FieldError::new("size", "the file is empty"));
    }
    if size > max {
        return Err(ApiError::PayloadTooLarge(max as usize));
    }
    match (errors.is_empty(), by_type) {
        (true, Some(kind)) => Ok(kind),
        _ => Err(ApiError::Validation(errors)),
    }
}

fn new_record(
    identity: &Identity,
    name: &str,
    content_type: &str,
    kind: &str,
    size: u64,
    status: FileStatus,
) -> FileRecord {
    let id = FileId::generate();
    let now = platform::time::now_rfc3339();
    FileRecord {
        s3_key: files_core::upload_key(&identity.tenant, &id, name.trim()),
        id,
        name: name.trim().to_owned(),
        content_type: content_type.to_owned(),
        declared_kind: kind.to_owned(),
        declared_size: size,
        status,
        uploaded_by: identity.user_id().to_string(),
        created_at: now.clone(),
        updated_at: now,
        size: None,
        kind: None,
        error: None,
        preview: None,
        text_chars: None,
        pages: None,
        processing_since: None,
    }
}

/// Where a file's processing stands (`GET /files/{id}` only).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileProgress {
    pub stage: FileStatus,
    pub done: bool,
}

/// A file as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileView {
    pub id: FileId,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub status: FileStatus,
    /// The kind found in the bytes (`csv`, `tsv`, `json`, `xlsx`, `txt`, `pdf`, `docx`).
    pub kind: Option<String>,
    /// Why it failed, in words.
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub row_count: Option<u64>,
    pub text_chars: Option<u64>,
    pub pages: Option<u64>,
    /// `GET /files/{id}` only: typed columns and the first rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<Option<files_core::Preview>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<FileProgress>,
}

/// `GET /api/v1/files`'s answer, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FilesResponse {
    pub files: Vec<FileView>,
}

/// A presigned upload: PUT the bytes to `uploadUrl` with these headers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadTicket {
    pub file_id: FileId,
    pub upload_url: String,
    /// Always `PUT`.
    pub method: &'static str,
    /// Headers the PUT must carry (the signed `content-type`).
    #[schema(value_type = Object)]
    pub headers: serde_json::Map<String, Value>,
    pub expires_at: String,
    pub status: FileStatus,
}

/// `POST /api/v1/files/upload`'s answer: a ticket (JSON request) or the stored file (multipart).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum UploadAnswer {
    Ticket(UploadTicket),
    Stored(FileView),
}

/// The public view of a file.
fn view(f: &FileRecord, with_preview: bool) -> FileView {
    FileView {
        id: f.id.clone(),
        name: f.name.clone(),
        content_type: f.content_type.clone(),
        size: f.size.unwrap_or(f.declared_size),
        status: f.status,
        kind: f.kind.clone(),
        error: f.error.clone(),
        created_at: f.created_at.clone(),
        updated_at: f.updated_at.clone(),
        row_count: f.preview.as_ref().map(|p| p.row_count),
        text_chars: f.text_chars,
        pages: f.pages,
        preview: with_preview.then(|| f.preview.clone()),
        progress: with_preview.then_some(FileProgress {
            stage: f.status,
            done: matches!(f.status, FileStatus::Processed | FileStatus::Failed),
        }),
    }
}

/// `POST /api/v1/files/upload` — JSON `{filename, contentType, size}` → a presigned PUT, or
/// `multipart/form-data` (field `file`, ≤ 4 MB) → stored now.
#[utoipa::path(post, path = "/api/v1/files/upload", tag = "files", summary = "Upload a file (presigned PUT, or multipart up to 4 MB)", request_body = UploadRequest, responses((status = 201, body = UploadAnswer), platform::openapi::Unauthorized, platform::openapi::Forbidden, platform::openapi::TooLarge, platform::openapi::UnsupportedMediaType, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    identity: Identity,
    req: Request,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_lowercase();
    if content_type.starts_with("multipart/form-data") {
        return upload_multipart(state, identity, req).await;
    }
    if !content_type.starts_with("application/json") {
        return Err(ApiError::UnsupportedMediaType(
            "send application/json ({filename, contentType, size}) or multipart/form-data".into(),
        ));
    }
    let bytes = axum::body::to_bytes(req.into_body(), platform::http::MAX_JSON_BODY)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(platform::http::MAX_JSON_BODY))?;
    let body: UploadRequest = parse_json(&bytes)?;
    let kind = check(
        &body.filename,
        &body.content_type,
        body.size,
        files_core::MAX_UPLOAD_BYTES,
    )?;
    let record = new_record(
        &identity,
        &body.filename,
        &body.content_type,
        kind,
        body.size,
        FileStatus::Pending,
    );
    let presign = aws_sdk_s3::presigning::PresigningConfig::expires_in(UPLOAD_URL_TTL)
        .map_err(ApiError::internal)?;
    // Type and length are signed: S3 refuses a PUT whose headers differ.
    let url = state
        .s3
        .put_object()
        .bucket(&state.bucket)
        .key(&record.s3_key)
        .content_type(&body.content_type)
        .content_length(body.size as i64)
        .presigned(presign)
        .await
        .map_err(ApiError::internal)?;
    state
        .store
        .put_new(&Under(&identity.tenant, &record))
        .await?;
    let expires_at = platform::time::epoch_to_rfc3339(
        platform::time::now_epoch() + UPLOAD_URL_TTL.as_secs() as i64,
    );
    let headers: serde_json::Map<String, Value> = url
        .headers()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    let ticket = UploadTicket {
        file_id: record.id,
        upload_url: url.uri().to_owned(),
        method: "PUT",
        headers,
        expires_at,
        status: record.status,
    };
    Ok((StatusCode::CREATED, Json(UploadAnswer::Ticket(ticket))).into_response())
}

async fn upload_multipart(
    state: AppState,
    identity: Identity,
    req: Request,
) -> Result<Response, ApiError> {
    let mut form = Multipart::from_request(req, &state)
        .await
        .map_err(|e| ApiError::bad_request("bad_multipart", e.body_text()))?;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request("bad_multipart", e.body_text()))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("").to_owned();
        let content_type = field.content_type().map(str::to_owned).unwrap_or_default();
        let data = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(files_core::MAX_MULTIPART_BYTES as usize)
            } else {
                ApiError::bad_request("bad_multipart", e.body_text())
            }
        })?;
        let kind = check(
            &name,
            &content_type,
            data.len() as u64,
            files_core::MAX_MULTIPART_BYTES,
        )?;
        let record = new_record(
            &identity,
            &name,
            &content_type,
            kind,
            data.len() as u64,
            FileStatus::Uploaded,
        );
        // The item first: the S3 notification may reach the processor before this returns.
        state
            .store
            .put_new(&Under(&identity.tenant, &record))
            .await?;
        state
            .s3
            .put_object()
            .bucket(&state.bucket)
            .key(&record.s3_key)
            .content_type(&content_type)
            .body(data.into())
            .send()
            .await
            .map_err(ApiError::internal)?;
        return Ok((
            StatusCode::CREATED,
            Json(UploadAnswer::Stored(view(&record, false))),
        )
            .into_response());
    }
    Err(ApiError::invalid(
        "file",
        "the form has no field named `file`",
    ))
}

fn file_id(raw: &str) -> Result<FileId, ApiError> {
    FileId::parse(raw).map_err(|e| ApiError::invalid("fileId", e.to_string()))
}

/// The caller's tenant's file, or 404.
pub async fn load(store: &Store, identity: &Identity, id: &FileId) -> Result<FileRecord, ApiError> {
    store
        .get(&keys::file(&identity.tenant, id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such file"))
}

/// `GET /api/v1/files` — the tenant's files, newest first.
#[utoipa::path(get, path = "/api/v1/files", tag = "files", summary = "Files of the workspace", responses((status = 200, body = FilesResponse), platform::openapi::Unauthorized), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<FilesResponse>, ApiError> {
    let mut all: Vec<FileRecord> = state
        .store
        .query_prefix(&keys::files_of(&identity.tenant))
        .await?;
    all.reverse();
    Ok(Json(FilesResponse {
        files: all.iter().map(|f| view(f, false)).collect(),
    }))
}

/// `GET /api/v1/files/{id}` — status, metadata, preview, progress.
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files", summary = "A file with its preview", params(("id" = inline(platform::ids::FileId), Path)), responses((status = 200, body = FileView), platform::openapi::Unauthorized, platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn get_file(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<Json<FileView>, ApiError> {
    let f = load(&state.store, &identity, &file_id(&id)?).await?;
    Ok(Json(view(&f, true)))
}

/// `GET /api/v1/files/{id}/content` — the extracted text (`text/plain; charset=utf-8`).
#[utoipa::path(get, path = "/api/v1/files/{id}/content", tag = "files", summary = "The extracted text of a processed file", params(("id" = inline(platform::ids::FileId), Path)), responses((status = 200, body = String, content_type = "text/plain"), platform::openapi::NotFound, platform::openapi::Conflict), security(("bearer" = [])))]
pub async fn content(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let f = load(&state.store, &identity, &file_id(&id)?).await?;
    if f.status != FileStatus::Processed {
        return Err(ApiError::conflict(
            "file_not_processed",
            format!(
                "the file is {:?}; its text is available once it is processed",
                f.status
            )
            .to_lowercase(),
        ));
    }
    let obj = state
        .s3
        .get_object()
        .bucket(&state.bucket)
        .key(files_core::text_key(&identity.tenant, &f.id))
        .send()
        .await
        .map_err(ApiError::internal)?;
    let bytes = obj
        .body
        .collect()
        .await
        .map_err(ApiError::internal)?
        .into_bytes();
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], bytes).into_response())
}

/// `DELETE /api/v1/files/{id}` — the file, its extractions and its item.
#[utoipa::path(delete, path = "/api/v1/files/{id}", tag = "files", summary = "Delete a file", params(("id" = inline(platform::ids::FileId), Path)), responses((status = 204), platform::openapi::Forbidden, platform::openapi::NotFound), security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    identity.require_writer()?;
    let f = load(&state.store, &identity, &file_id(&id)?).await?;
    for key in [
        f.s3_key.clone(),
        files_core::rows_key(&identity.tenant, &f.id),
        files_core::text_key(&identity.tenant, &f.id),
    ] {
        state
            .s3
            .delete_object()
            .bucket(&state.bucket)
            .key(key)
            .send()
            .await
            .map_err(ApiError::internal)?;
    }
    state
        .store
        .delete(&keys::file(&identity.tenant, &f.id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/files/{id}/import` body: where the rows go.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportRequest {
    pub base_id: String,
    /// An existing table (id or name)…
    pub table: Option<String>,
    /// …or a table to create: `{name}`.
    #[schema(value_type = Option<Object>)]
    pub create_table: Option<Value>,
    /// File column → field name.
    #[schema(value_type = Object)]
    pub mapping: Value,
    /// Convert values to the fields' types (default true).
    pub typecast: Option<bool>,
}

/// `POST /api/v1/files/{id}/import` — starts an `import_file` saga (202 with its transaction).
#[utoipa::path(post, path = "/api/v1/files/{id}/import", tag = "files", summary = "Import a processed file into a table (an import_file saga)", params(("id" = inline(platform::ids::FileId), Path)), request_body = ImportRequest, responses((status = 202, body = saga_core::SagaStarted), platform::openapi::Forbidden, platform::openapi::NotFound, platform::openapi::Invalid), security(("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
    platform::http::ApiJson(req): platform::http::ApiJson<ImportRequest>,
) -> Result<Response, ApiError> {
    identity.require_writer()?;
    let f = load(&state.store, &identity, &file_id(&id)?).await?;
    let mut input = json!({"fileId": f.id, "baseId": req.base_id, "mapping": req.mapping, "typecast": req.typecast.unwrap_or(true)});
    if let Some(t) = req.table {
        input["table"] = json!(t);
    }
    if let Some(c) = req.create_table {
        input["createTable"] = c;
    }
    let input = saga_core::validate(&state.store, &identity.tenant, "import_file", &input).await?;
    saga_core::check_airtable(&state.airtable, &identity.tenant, "import_file", &input).await?;
    let saga = saga_core::start(
        &state.store,
        &state.sfn,
        &state.sagas,
        &identity.tenant,
        identity.user_id(),
        "import_file",
        input,
    )
    .await?;
    let url = format!("/api/v1/saga/transaction/{}", saga.id);
    let started = saga_core::SagaStarted {
        transaction_id: saga.id,
        status: saga.status,
        kind: Some(saga.kind),
        cancel_requested: None,
    };
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, url)],
        Json(started),
    )
        .into_response())
}

/// The function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(upload, list, get_file, content, delete, import))]
pub struct ApiDoc;

/// Every route of the function.
pub fn router(state: AppState) -> Router {
    let telemetry = state.telemetry.clone();
    Router::new()
        .route(
            "/api/v1/files/upload",
            // Multipart bodies up to 4 MB (plus the form's own bytes).
            post(upload).layer(DefaultBodyLimit::max(
                files_core::MAX_MULTIPART_BYTES as usize + 64 * 1024,
            )),
        )
        .route("/api/v1/files", get(list))
        .route("/api/v1/files/{id}", get(get_file).delete(delete))
        .route("/api/v1/files/{id}/content", get(content))
        .route("/api/v1/files/{id}/import", post(import))
        .with_state(state)
        .route_layer(telemetry.http_layer())
}

#[cfg(test)]
mod tests {
    //! The Router as Lambda runs it, fed the sample events in `events/files/`; AWS is an address
    //! where nothing listens, so only paths that need no AWS call are exercised.

    use super::*;
    use platform::testing::{event, invoke, unreachable_aws};

    #[tokio::test]
    async fn the_sample_events_without_credentials_are_401_problems() {
        let (config, aws) = unreachable_aws();
        let app = router(AppState::new(config, aws).await.unwrap());
        for name in ["list.json", "upload.json"] {
            let (status, body, _) = invoke(app.clone(), &event("files", name)).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (401, Some("unauthorized")),
                "{name}"
            );
        }
    }

    #[test]
    fn names_types_and_sizes_are_checked_together() {
        assert_eq!(
            check("people.csv", "text/csv", 10, files_core::MAX_UPLOAD_BYTES).unwrap(),
            "csv"
        );
        assert!(matches!(
            check(
                "people.csv",
                "application/pdf",
                10,
                files_core::MAX_UPLOAD_BYTES
            ),
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            check("movie.mp4", "video/mp4", 10, files_core::MAX_UPLOAD_BYTES),
            Err(ApiError::Validation(_))
        ));
        assert!(matches!(
            check(
                "big.pdf",
                "application/pdf",
                files_core::MAX_UPLOAD_BYTES + 1,
                files_core::MAX_UPLOAD_BYTES
            ),
            Err(ApiError::PayloadTooLarge(_))
        ));
        assert!(matches!(
            check("../x.csv", "text/csv", 1, files_core::MAX_UPLOAD_BYTES),
            Err(ApiError::Validation(_))
        ));
    }
}
