//! Collects every error of one expansion, so the user sees them all at once.

use proc_macro2::Span;
use std::fmt::Display;

/// The errors found so far, in the order they were found.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: Option<syn::Error>,
}

impl Ctxt {
    /// Records an error from syn.
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
        }
    }

    /// Records `msg` on the tokens at `span`.
    pub(crate) fn error(&mut self, span: Span, msg: impl Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// All the errors combined, if any.
    pub(crate) fn finish(self) -> Option<syn::Error> {
        self.errors
    }
}
