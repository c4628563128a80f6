//! Genuine tokens outside their time window (RFC 7519 §4.1.4–4.1.6), and
//! time claims out of range.

use super::language::{def, Claims::*, Edit::*, Header::*, Recipe::*, Row, Val::*};
use super::vocab::Expected::Deny;
use super::vocab::Family::Expired as Exp;
use authorizer::RejectReason::*;

#[rustfmt::skip]
pub(super) const ROWS: &[Row] = &[
    def("exp-past", Exp, Deny(Expired), "RFC 7519 §4.1.4", "exp an hour ago",
        Signed(AlgTyp, Edited(&[Set("exp", NowPlus(-3600)), Set("iat", NowPlus(-3900))]))),
    def("exp-now-minus-1", Exp, Deny(Expired), "RFC 7519 §4.1.4", "exp = now - 1",
        Signed(AlgTyp, Edited(&[Set("exp", NowPlus(-1)), Set("iat", NowPlus(-301))]))),
    def("exp-equals-now", Exp, Deny(Expired), "RFC 7519 §4.1.4", "exp = now (the current time must be before exp)",
        Signed(AlgTyp, Edited(&[Set("exp", NowPlus(0)), Set("iat", NowPlus(-300))]))),
    def("nbf-future", Exp, Deny(NotYetValid), "RFC 7519 §4.1.5", "nbf an hour ahead (the case stays valid through long runs)",
        Signed(AlgTyp, Edited(&[Set("nbf", NowPlus(3600))]))),
    def("iat-future", Exp, Deny(IssuedInFuture), "policy; RFC 7519 §4.1.6", "iat an hour ahead",
        Signed(AlgTyp, Edited(&[Set("iat", NowPlus(3600))]))),
    def("exp-negative", Exp, Deny(BadClaims), "RFC 7519 §2", "exp = -1", Signed(AlgTyp, Edited(&[Set("exp", Json("-1"))]))),
    def("exp-zero", Exp, Deny(BadClaims), "RFC 7519 §2", "exp = 0", Signed(AlgTyp, Edited(&[Set("exp", Json("0"))]))),
];
