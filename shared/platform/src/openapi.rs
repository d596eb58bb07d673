//! The problem responses of the OpenAPI document, written once.
//!
//! Two kinds:
//!
//! - **Error sets** a handler names in its `#[utoipa::path(responses(…))]`: `Forbidden`,
//!   `NotFound`, `Conflict`, `Upstream` (Airtable or the model failed or is unavailable), …
//!   Each is a `$ref` to one entry of `components.responses`, so the document says what a 403
//!   means in one place.
//! - **What the edge answers for every operation** ([`complete`]): the extractors and the HTTP
//!   edge give the same problems whatever the handler — 401 where a bearer credential is
//!   required, 400/413/415/422 where a JSON body is read, 400/422 where a query string or a path
//!   id is parsed — so those are added by rule from the operation's own description (its
//!   security, request body and parameters), never by hand.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// Media type of every problem.
const PROBLEM: &str = crate::error::PROBLEM_JSON;

macro_rules! problem_sets {
    ($($(#[$doc:meta])* $name:ident = $status:literal, $description:literal;)*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([(
                        $status.to_string(),
                        RefOr::Ref(Ref::from_response_name(stringify!($name))),
                    )])
                }
            }
        )*

        /// Every set: (name in `components.responses`, description).
        const SETS: &[(&str, &str)] = &[$((stringify!($name), $description)),*];
    };
}

problem_sets! {
    /// 400: the request could not be read at all (malformed JSON or query string).
    BadRequest = 400, "The request could not be read: malformed JSON or an unparseable query string.";
    /// 401: no credential, or one that is invalid, expired or revoked.
    Unauthorized = 401, "Missing, invalid, expired or revoked bearer credentials.";
    /// 403: the caller's role or the token's access does not allow this.
    Forbidden = 403, "The caller's role (or the Airtable token's access) does not allow this.";
    /// 404: no such resource in the caller's workspace.
    NotFound = 404, "No such resource in the caller's workspace.";
    /// 409: the resource's state does not allow this (or the workspace has not connected Airtable).
    Conflict = 409, "The resource's current state does not allow this (or Airtable is not connected).";
    /// 413: the body is larger than the operation accepts.
    TooLarge = 413, "The body is larger than this operation accepts.";
    /// 415: the body is not of a media type the operation reads.
    UnsupportedMediaType = 415, "The body is not of a media type this operation reads.";
    /// 422: the request was read but some fields are invalid (`errors` names each one).
    Invalid = 422, "Some fields are invalid; `errors` names each one with what it must be.";
    /// 423: the account is locked for a while after repeated failures.
    Locked = 423, "Locked for a while after repeated failures.";
    /// 429: a limit or budget was reached; `Retry-After` says when to try again.
    TooManyRequests = 429, "A rate limit or budget was reached; Retry-After says when to try again.";
    /// 502: Airtable (or the model provider) answered with an error we could not handle.
    BadGateway = 502, "Airtable or the model provider failed.";
    /// 503: a dependency is unavailable for now; retry later.
    Unavailable = 503, "A dependency is unavailable for now; retry later.";
}

/// Adds the shared problem responses to `components` and, to every operation, the problems the
/// edge gives it by rule (see the module's documentation).
pub fn complete(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, description) in SETS {
        let problem = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build();
        components.responses.insert(
            (*name).to_owned(),
            RefOr::T(
                ResponseBuilder::new()
                    .description(*description)
                    .content(PROBLEM, problem)
                    .build(),
            ),
        );
    }
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            edge_responses(op);
        }
    }
}

fn edge_responses(op: &mut Operation) {
    let secured = op
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let (query, path) = (has(ParameterIn::Query), has(ParameterIn::Path));
    let body = op.request_body.is_some();
    let mut add = |status: &str, set: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(set)));
    };
    if secured {
        add("401", "Unauthorized");
    }
    if body {
        add("400", "BadRequest");
        add("413", "TooLarge");
        add("415", "UnsupportedMediaType");
    }
    if query {
        add("400", "BadRequest");
    }
    if body || query || path {
        add("422", "Invalid");
    }
}

#[cfg(test)]
mod tests {
    use utoipa::IntoResponses;

    use super::*;

    #[test]
    fn every_set_refers_to_a_response_the_document_defines() {
        let mut doc = OpenApi::default();
        complete(&mut doc);
        let defined = &doc.components.unwrap().responses;
        for set in [
            BadRequest::responses(),
            Unauthorized::responses(),
            Forbidden::responses(),
            NotFound::responses(),
            Conflict::responses(),
            TooLarge::responses(),
            UnsupportedMediaType::responses(),
            Invalid::responses(),
            Locked::responses(),
            TooManyRequests::responses(),
            BadGateway::responses(),
            Unavailable::responses(),
        ] {
            for (status, response) in set {
                let RefOr::Ref(r) = response else {
                    panic!("{status} is not a reference")
                };
                let name = r.ref_location.rsplit('/').next().unwrap();
                assert!(
                    defined.contains_key(name),
                    "{status}: {name} is not defined"
                );
            }
        }
        assert_eq!(defined.len(), SETS.len());
    }
}
