//! The shapes the compiled-vs-tree tests of `scalar_tests.rs` add for operands read in
//! place (`scalar_in_place.rs`) and the text functions beside them.

use super::*;

/// Shapes read in place (`Scalar::in_place`, `text_in_place`: columns, constants,
/// coalesce(), substr() slices), instr() and replace() over `text::find_text`, and a
/// simple CASE decided on numbers, each beside the shapes that take the general path.
pub(super) fn text_in_place_shapes() -> Vec<Expr> {
    let (c0, c1) = (column(0), column(1));
    let substr = |args: Vec<Expr>| call(Function::Substr, args);
    let cast = |expr: Expr, affinity: Affinity| Expr::Cast {
        expr: Box::new(expr),
        affinity,
    };
    vec![
        call(Function::Instr, vec![c0.clone(), c1.clone()]),
        call(Function::Instr, vec![c0.clone(), text("7")]),
        call(Function::Instr, vec![c0.clone(), text("é½")]),
        call(Function::Instr, vec![c0.clone(), text("ab99c")]),
        call(
            Function::Instr,
            vec![call(Function::Upper, vec![c0.clone()]), text("K")],
        ),
        call(
            Function::Length,
            vec![call(Function::Coalesce, vec![c0.clone(), c1.clone()])],
        ),
        call(
            Function::OctetLength,
            vec![call(Function::IfNull, vec![c0.clone(), text("xé")])],
        ),
        call(
            Function::Length,
            vec![call(
                Function::Coalesce,
                vec![c0.clone(), call(Function::Lower, vec![c1.clone()])],
            )],
        ),
        call(Function::Length, vec![substr(vec![c0.clone(), int(2)])]),
        call(
            Function::Length,
            vec![substr(vec![c0.clone(), c1.clone(), int(2)])],
        ),
        substr(vec![substr(vec![c0.clone(), int(2)]), int(1), int(2)]),
        substr(vec![c0.clone(), int(-2), c1.clone()]),
        substr(vec![c0.clone(), Expr::Parameter(1)]),
        cast(substr(vec![c0.clone(), int(2)]), Affinity::Integer),
        cast(substr(vec![c0.clone(), int(2), int(3)]), Affinity::Real),
        cast(
            call(Function::Coalesce, vec![c0.clone(), c1.clone()]),
            Affinity::Integer,
        ),
        binary(
            BinaryOp::Modulo,
            cast(substr(vec![c0.clone(), int(2)]), Affinity::Integer),
            int(7),
        ),
        binary(
            BinaryOp::Equal,
            substr(vec![c0.clone(), int(2)]),
            substr(vec![c1.clone(), int(1), int(2)]),
        ),
        binary(
            BinaryOp::Less,
            call(Function::Coalesce, vec![c0.clone(), text("m")]),
            substr(vec![c1.clone(), int(2)]),
        ),
        binary(
            BinaryOp::Concat,
            binary(BinaryOp::Concat, c0.clone(), text("-")),
            substr(vec![c1.clone(), int(2)]),
        ),
        binary(
            BinaryOp::Concat,
            call(Function::IfNull, vec![c0.clone(), text("none")]),
            c1.clone(),
        ),
        like(text("%9%"), substr(vec![c0.clone(), int(2)])),
        like(
            text("k%"),
            call(Function::Coalesce, vec![c0.clone(), c1.clone()]),
        ),
        call(Function::Replace, vec![c0.clone(), text("k"), text("key-")]),
        call(Function::Replace, vec![c0.clone(), text("é"), text("")]),
        call(Function::Replace, vec![c0.clone(), c1.clone(), text("<>")]),
        call(Function::NullIf, vec![c0.clone(), text("K1")]),
        // trim family as slices in place, hex() into the buffer, nullif() in place.
        call(Function::Trim, vec![c0.clone(), c1.clone()]),
        call(Function::LTrim, vec![c0.clone(), text("k")]),
        call(Function::RTrim, vec![c0.clone(), text("é½Zx ")]),
        call(
            Function::Length,
            vec![call(Function::Trim, vec![c0.clone(), text("ka")])],
        ),
        call(
            Function::Trim,
            vec![substr(vec![c0.clone(), int(2)]), text(" ")],
        ),
        binary(
            BinaryOp::Concat,
            call(Function::LTrim, vec![c0.clone(), text("aé")]),
            call(Function::Hex, vec![c1.clone()]),
        ),
        call(
            Function::Coalesce,
            vec![
                call(Function::NullIf, vec![c0.clone(), text("K1")]),
                c1.clone(),
            ],
        ),
        call(
            Function::Length,
            vec![call(
                Function::IfNull,
                vec![
                    call(Function::NullIf, vec![c0.clone(), c1.clone()]),
                    text("-"),
                ],
            )],
        ),
        // A simple CASE on numbers: integer and real WHENs, a non-numeric operand row,
        // a text WHEN and a NULL WHEN (the value path decides those).
        Expr::Case {
            operand: Some(Box::new(binary(BinaryOp::Modulo, c0.clone(), int(4)))),
            branches: vec![
                (int(0), c1.clone()),
                (
                    real(1.0),
                    Expr::Unary(UnaryOp::Negate, Box::new(c1.clone())),
                ),
                (int(-3), text("minus three")),
            ],
            else_result: None,
        },
        Expr::Case {
            operand: Some(Box::new(c0.clone())),
            branches: vec![(real(2.5), int(1)), (int(2), int(2)), (text("3"), int(3))],
            else_result: Some(Box::new(int(0))),
        },
        Expr::Case {
            operand: Some(Box::new(c0.clone())),
            branches: vec![(Expr::Literal(Value::Null), int(1)), (int(0), int(2))],
            else_result: Some(Box::new(c1.clone())),
        },
    ]
}
