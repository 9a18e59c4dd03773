//! The yield rewrite: every `yield_!(value)` directly in the endpoint body
//! becomes a write through the stream's yielder and a suspension.
//!
//! Stable Rust refuses the `yield` keyword anywhere in a function, even one an
//! attribute rewrites ("yield syntax is experimental"), so the body says
//! `yield_!(value)`: ordinary Rust that rustfmt formats and IDEs parse.
//!
//! Like async-stream's rewrite, this walks expressions but not into closures,
//! `async` blocks or nested items, whose yields could not suspend this body;
//! unlike it, a yield there is reported at its own span instead of failing
//! later with a confusing type error. Macro invocations such as
//! `tokio::select!` are re-scanned token by token, so yields inside their
//! branches work.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, ExprMacro, Item, Macro, Stmt, StmtMacro, Type};

use crate::ctxt::Ctxt;

/// The name of the yield pseudo-macro.
pub(crate) const YIELD_MACRO: &str = "yield_";

/// Rewrites the yields of `block` in place; returns the distinct paths they
/// were written with (`yield_`, `sse_runtime::yield_`), which the expansion
/// resolves once so that an import of `yield_` counts as used.
///
/// With `declared` (`yields = T`), each yielded value must be a `T` (or a
/// `&T`), checked at its own span.
pub(crate) fn rewrite(cx: &Ctxt, block: &mut Block, declared: Option<&Type>) -> Vec<TokenStream> {
    let mut rewriter = Rewriter {
        cx,
        paths: Vec::new(),
        declared,
    };
    rewriter.visit_block_mut(block);
    rewriter.paths
}

struct Rewriter<'a> {
    cx: &'a Ctxt,
    paths: Vec<TokenStream>,
    declared: Option<&'a Type>,
}

fn is_yield_macro(mac: &Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == YIELD_MACRO)
}

impl Rewriter<'_> {
    /// The code a `yield_!(value)` becomes. `span` is the macro's, so type
    /// errors about the value point at the user's yield; `path` is the one
    /// the user wrote it with.
    fn expand_yield(&mut self, path: TokenStream, span: Span, tokens: TokenStream) -> TokenStream {
        if !self
            .paths
            .iter()
            .any(|seen| seen.to_string() == path.to_string())
        {
            self.paths.push(path);
        }
        let mut value: Expr = match syn::parse2(tokens.clone()) {
            Ok(value) => value,
            Err(_) if tokens.is_empty() => {
                self.cx.syn_error(syn::Error::new(
                    span,
                    "`yield_!` needs the value to send, as in `yield_!(Tick { n })`",
                ));
                return quote!(());
            }
            Err(error) => {
                self.cx.syn_error(error);
                return quote!(());
            }
        };
        // A yield inside the yielded expression is rewritten too.
        self.visit_expr_mut(&mut value);
        let value_span = value.span();
        let write = quote_spanned! {value_span=>
            (&&::sse_runtime::__private::Yielded(&__sse_value)).__sse_write(&__sse_yielder)
        };
        let contract = self.declared.map(|declared| {
            quote_spanned! {value_span=>
                <_ as ::sse_runtime::__private::Sends<#declared>>::__sse_check_sends(&__sse_value);
            }
        });
        quote_spanned! {span=>
            {
                #[allow(unused_imports)]
                use ::sse_runtime::__private::{ViaSerialize as _, ViaSseEvent as _};
                {
                    // Dropped before the suspension: the value need not be Send.
                    let __sse_value = #value;
                    #contract
                    #write;
                }
                __sse_yielder.suspend().await
            }
        }
    }

    /// Re-scans a macro's tokens for yields, parsing brace groups as blocks
    /// where they are blocks so that closures inside them are checked too.
    fn rewrite_tokens(&mut self, tokens: TokenStream) -> TokenStream {
        let mut out = TokenStream::new();
        let mut iter = tokens.into_iter().peekable();
        while let Some(token) = iter.next() {
            match token {
                TokenTree::Ident(ident) if ident == YIELD_MACRO => {
                    let is_call =
                        matches!(iter.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                    if !is_call {
                        out.extend([TokenTree::Ident(ident)]);
                        continue;
                    }
                    let bang = iter.next().expect("peeked");
                    match iter.next() {
                        Some(TokenTree::Group(args)) => {
                            let span = ident.span().join(args.span()).unwrap_or(ident.span());
                            let path = TokenTree::Ident(ident.clone()).into();
                            let expanded = self.expand_yield(path, span, args.stream());
                            out.extend([TokenTree::Group(Group::new(
                                Delimiter::Parenthesis,
                                expanded,
                            ))]);
                        }
                        other => {
                            out.extend([TokenTree::Ident(ident), bang]);
                            out.extend(other);
                        }
                    }
                }
                TokenTree::Group(group) => {
                    let inner = if group.delimiter() == Delimiter::Brace {
                        self.rewrite_brace_group(group.stream())
                    } else {
                        self.rewrite_tokens(group.stream())
                    };
                    let mut rewritten = Group::new(group.delimiter(), inner);
                    rewritten.set_span(group.span());
                    out.extend([TokenTree::Group(rewritten)]);
                }
                other => out.extend([other]),
            }
        }
        out
    }

    fn rewrite_brace_group(&mut self, tokens: TokenStream) -> TokenStream {
        match syn::parse::Parser::parse2(Block::parse_within, tokens.clone()) {
            Ok(mut stmts) => {
                for stmt in &mut stmts {
                    self.visit_stmt_mut(stmt);
                }
                quote!(#(#stmts)*)
            }
            Err(_) => self.rewrite_tokens(tokens),
        }
    }

    fn rewrite_macro(&mut self, mac: &mut Macro) {
        mac.tokens = self.rewrite_tokens(std::mem::take(&mut mac.tokens));
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Macro(ExprMacro { mac, .. }) if is_yield_macro(mac) => {
                let span = mac.span();
                let path = mac.path.to_token_stream();
                let expanded = self.expand_yield(path, span, mac.tokens.clone());
                *expr = Expr::Verbatim(expanded);
            }
            Expr::Macro(ExprMacro { mac, .. }) => self.rewrite_macro(mac),
            Expr::Yield(keyword) => {
                self.cx.error_spanned_by(
                    &*keyword,
                    "stable Rust does not allow the `yield` keyword; write `yield_!(value)` \
                     to send an event from an `#[sse_endpoint]`",
                );
            }
            Expr::Closure(closure) => {
                report_nested(
                    self.cx,
                    &*closure.body,
                    "a closure",
                    "use a `for` loop instead of an iterator adapter or `for_each`",
                );
            }
            Expr::Async(block) => {
                report_nested(
                    self.cx,
                    &block.block,
                    "an `async` block",
                    "await the block here and yield its result; from a spawned task, send \
                     the values over a channel (`tokio::sync::mpsc`) and `yield_!` what the \
                     endpoint receives",
                );
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        match stmt {
            Stmt::Macro(StmtMacro {
                mac, semi_token, ..
            }) if is_yield_macro(mac) => {
                let span = mac.span();
                let semi = *semi_token;
                let path = mac.path.to_token_stream();
                let expanded = self.expand_yield(path, span, mac.tokens.clone());
                *stmt = Stmt::Expr(Expr::Verbatim(expanded), semi);
            }
            Stmt::Macro(StmtMacro { mac, .. }) => self.rewrite_macro(mac),
            Stmt::Item(item) => report_nested(
                self.cx,
                &*item,
                "a nested item",
                "return the value and yield it from the endpoint body",
            ),
            _ => visit_mut::visit_stmt_mut(self, stmt),
        }
    }

    fn visit_item_mut(&mut self, item: &mut Item) {
        report_nested(
            self.cx,
            &*item,
            "a nested item",
            "return the value and yield it from the endpoint body",
        );
    }
}

/// Reports every yield inside `node`, which cannot suspend the endpoint body.
fn report_nested<T: VisitNode + ?Sized>(cx: &Ctxt, node: &T, place: &str, advice: &str) {
    let mut finder = NestedYields { spans: Vec::new() };
    node.visit(&mut finder);
    for span in finder.spans {
        cx.syn_error(syn::Error::new(
            span,
            format!(
                "`yield_!` inside {place} does not send from the `#[sse_endpoint]` body; \
                 only yields directly in the body do: {advice}"
            ),
        ));
    }
}

/// Finds yields anywhere below a node, inside macro tokens too.
struct NestedYields {
    spans: Vec<Span>,
}

impl NestedYields {
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let mut iter = tokens.into_iter().peekable();
        while let Some(token) = iter.next() {
            match token {
                TokenTree::Ident(ident) if ident == YIELD_MACRO => {
                    if matches!(iter.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '!') {
                        self.spans.push(ident.span());
                    }
                }
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for NestedYields {
    fn visit_macro(&mut self, mac: &'ast Macro) {
        if is_yield_macro(mac) {
            self.spans.push(mac.span());
        }
        self.scan_tokens(mac.tokens.clone());
    }
}

/// Nodes `report_nested` can search.
trait VisitNode {
    fn visit(&self, visitor: &mut NestedYields);
}

impl VisitNode for Expr {
    fn visit(&self, visitor: &mut NestedYields) {
        visitor.visit_expr(self);
    }
}

impl VisitNode for Block {
    fn visit(&self, visitor: &mut NestedYields) {
        visitor.visit_block(self);
    }
}

impl VisitNode for Item {
    fn visit(&self, visitor: &mut NestedYields) {
        visitor.visit_item(self);
    }
}
