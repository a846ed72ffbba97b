#!/usr/bin/env python3
"""Writes Tests/Fixtures/math/policy_pairs.jsonl: (gold, prediction) pairs labelled by the
seven-point grading policy of issue 18 ("verdicts a careful human grader would sign").

Each label was decided by applying the policy by hand, not by running any grader. A pair is
either *bare* (the prediction is the answer alone, as extracted answers and other systems'
samples arrive in `quorum verify`: the whole text is the answer) or a full *response* (the
checker must find the final answer in it). Fields: `id`, `kind`, `gold`, `prediction`, `bare`,
`equivalent`, and `why` where the label is subtle.

The policy, in short:
1. extraction: last \\boxed{}, else `#### X`, else the last affirmed "answer is"/"Final answer:"
   (inline or display math; "not 12; it is 13" gives 13), else the final stated value; a bare
   prediction is its answer whole; hedged, empty, refused, truncated or placeholder answers are
   never equivalent; a number only in the working does not count.
2. exact equality, no numeric tolerance (exact and repeating decimals are exact values).
3. presentation ignored (spacing, \\dfrac, \\left, \\text, unicode, case of words, thousands
   separators, a leading `x =`, base subscripts).
4. units and currency ignored when the number matches; percent: 10\\% matches 10 and 0.1,
   not 0.1\\%. Two different named units are different answers.
5. structure: sets and comma lists unordered (\\pm expands), tuples ordered, a tuple is not a
   set, intervals by endpoints, inequalities and set-builder forms of the same set match,
   matrices by shape and entries (a scalar factor outside is fine), equations by solution set.
6. expressions equal for all real values of their variables; symbols case-sensitive; mixed
   numbers are sums; complex numbers in any order.
7. undecidable is never `equivalent`.

Usage: python3 scripts/math_policy_pairs.py   (no third-party packages)
"""
import json
import os

T, F = True, False
PAIRS = []


def bare(kind, gold, prediction, equivalent, why=""):
    PAIRS.append((kind, gold, prediction, True, equivalent, why))


def resp(kind, gold, prediction, equivalent, why=""):
    PAIRS.append((kind, gold, prediction, False, equivalent, why))


# --- 1. extraction from full responses ---
K = "extraction"
resp(K, "42", "We add 40 and 2 to get the total.\n\nThe answer is $\\boxed{42}$.", T)
resp(K, "42", "First I thought \\boxed{40}, but rechecking the sum, the total is \\boxed{42}.", T, "last boxed wins")
resp(K, "42", "First attempt: \\boxed{42}. Correction after rechecking: \\boxed{44}.", F, "last boxed wins")
resp(K, "18", "Janet sells 16 - 3 - 4 = 9 eggs at $2 each, so 9 * 2 = 18.\n#### 18", T)
resp(K, "18", "She sells 9 eggs for 2 dollars each: 9 * 2 = 18 dollars.\n#### 20", F, "the #### line is the answer, not the working")
resp(K, "13", "Let me check. The answer is not 12; it is 13.", T, "affirmed value after a negation")
resp(K, "12", "Let me check. The answer is not 12; it is 13.", F, "12 is explicitly denied")
resp(K, "5", "The answer isn't 5.", F, "a denial with no affirmed value")
resp(K, "6", "The answer isn't 5; it is 6.", T, "affirmed value after a denial")
resp(K, "x > 2", "Solving 3x - 6 > 0 gives the answer is $$x > 2$$", T, "display math after 'answer is'")
resp(K, "(2,\\infty)", "Dividing by 3 keeps the direction.\nThe answer is\n\\[ x > 2 \\]", T, "display math on the next line, inequality = interval")
resp(K, "7", "Adding the roots: 3 + 4 = 7.\nFinal answer: 7", T)
resp(K, "7", "Final answer: $7$ apples.", T, "unit word after the number")
resp(K, "\\frac{3}{4}", "The probability is the ratio of favourable outcomes, so the final answer is $\\frac{3}{4}$. I hope it is correct.", T)
resp(K, "5", "The number of marbles is 2 + 3 = 5.", T, "final stated value")
resp(K, "5", "Tom had 12 apples and gave away 7, so he has 5 left.", T, "final stated value in a sentence")
resp(K, "12", "Tom had 12 apples and gave away 7, so he has 5 left.", F, "12 appears only in the working")
resp(K, "\\frac{1}{2}", "Half of the pie was eaten, so the fraction is $\\frac{1}{2}$.", T, "final stated value in math mode")
resp(K, "3", "There are $\\binom{3}{1} = 3$ ways.", T, "final stated value is the right side")
resp(K, "-4", "x = -4 satisfies the equation, so the answer is $-4$.", T)
resp(K, "x^2+2x+1", "Expanding, we get $(x+1)^2 = x^2 + 2x + 1$, so the answer is \\boxed{x^2+2x+1}.", T)
resp(K, "10", "I computed 5 * 2 = 10.\nFinal Answer: The final answer is $10$. I hope it is correct.", T)
resp(K, "24", "The answer is: 24", T)
resp(K, "24", "**Final answer:** 24", T, "markdown bold around the marker")
resp(K, "8", "The area is 2 * 4 = 8 square units.\n\nThe answer is 8 square units.", T)
resp(K, "9", "So the answer is 9, because 3 squared is 9.", T)
resp(K, "2", "Both sides are equal when $x = 2$, hence $\\boxed{x = 2}$.", T, "leading x = in the box")
resp(K, "(3,5)", "Substituting back, $(x, y) = (3, 5)$. The answer is $(3, 5)$.", T)
resp(K, "36", "6 rows of 6 chairs make 36 chairs in total.\n#### 36", T)
resp(K, "36", "6 rows of 6 chairs.\n#### 3 6", F, "a garbled answer line is not 36")
resp(K, "2", "The answer is $\\boxed{2}$.\n\nActually the smallest value is 1.", T, "the boxed answer counts, not a later stray number")
resp(K, "\\sqrt{2}", "The distance is $\\sqrt{2}$.", T, "final stated value in math mode")

# --- 1b. hedged, empty, refused, truncated, placeholder ---
K = "invalid"
bare(K, "3", "either 3 or 4", F, "hedged")
bare(K, "3", "3 or 4", F, "hedged")
bare(K, "C", "(C) and (D)", F, "hedged choice")
bare(K, "C", "C or D", F, "hedged choice")
bare(K, "5", "", F, "empty")
bare(K, "5", "   ", F, "blank")
bare(K, "5", "I don't know.", F, "refusal")
bare(K, "0", "I cannot solve this problem.", F, "refusal; no number")
bare(K, "5", "\\boxed{}", F, "empty box")
bare(K, "5", "\\boxed{?}", F, "placeholder box")
bare(K, "5", "?", F, "placeholder")
bare(K, "5", "\\boxed{\\text{answer}}", F, "placeholder word")
resp(K, "12", "The sum is 5 + 7 = 12, so the answer is \\boxed{12", F, "truncated inside the box")
resp(K, "12", "First, 5 + 7 = 12. Then we need to subtract the", F, "truncated response; 12 only in the working")
resp(K, "6", "It could be 6 or it could be 8; I am not sure. The answer is either 6 or 8.", F, "hedged")
resp(K, "6", "The answer is \\boxed{6 \\text{ or } 8}.", F, "hedged inside the box")
resp(K, "D", "The answer is (C) or (D).", F, "hedged choice")
resp(K, "4", "I'm sorry, but I can't help with that.", F, "refusal")
bare(K, "5", "N/A", F, "placeholder")
bare(K, "5", "\\boxed{\\ldots}", F, "placeholder dots")
resp(K, "2", "Let x be the answer. Then \\boxed{x}.", F, "placeholder variable for a numeric gold")

# --- 2. exact numbers and decimals (no tolerance) ---
K = "exact-number"
bare(K, "\\frac{1}{3}", "0.333", F, "no numeric tolerance")
bare(K, "\\frac{1}{3}", "0.\\overline{3}", T, "repeating decimal is exact")
bare(K, "\\frac{1}{3}", "0.3333333333", F, "no numeric tolerance")
bare(K, "\\frac14", "0.25", T, "terminating decimal is exact")
bare(K, "0.25", "\\frac{1}{4}", T)
bare(K, "\\frac{1}{6}", "0.1\\overline{6}", T)
bare(K, "\\frac{2}{3}", "0.67", F, "rounded")
bare(K, "\\frac{2}{3}", "\\frac{4}{6}", T)
bare(K, "\\frac{2}{3}", "\\frac{-4}{-6}", T, "the whole answer, not its last number")
bare(K, "-6", "\\frac{-4}{-6}", F, "the whole answer, not its last number")
bare(K, "\\frac{7}{3}", "7/3", T)
bare(K, "\\frac{7}{3}", "2.333", F)
bare(K, "1", "0.\\overline{9}", T, "0.999... = 1 exactly")
bare(K, "2.5", "\\frac{5}{2}", T)
bare(K, "2.5", "2.50", T)
bare(K, "2.5", "2.05", F)
bare(K, "-3", "-3.0", T)
bare(K, "-3", "3", F)
bare(K, "0", "-0", T)
bare(K, "\\pi", "3.14", F, "a decimal never stands for an irrational")
bare(K, "\\pi", "3.14159265358979", F, "no tolerance")
bare(K, "\\sqrt{2}", "1.41421356", F)
bare(K, "0.1", "\\frac{1}{10}", T)
bare(K, "\\frac{22}{7}", "\\pi", F)
bare(K, "1.5", "\\frac32", T, "brace-less frac")
bare(K, "\\frac{9}{5}", "1\\frac45", T, "mixed number means addition")
bare(K, "\\frac{9}{5}", "1 \\frac{4}{5}", T, "mixed number with a space")
bare(K, "\\frac{4}{5}", "1\\frac45", F, "mixed number is 9/5, not 4/5")
bare(K, "2\\frac{1}{2}", "2.5", T)
bare(K, "\\frac{11}{4}", "2\\tfrac{3}{4}", T)
bare(K, "5", "5.", T, "trailing period")
bare(K, "12", "012", T, "leading zero is still twelve")
bare(K, "1000000", "10^6", T)
bare(K, "\\frac{1}{8}", "2^{-3}", T)
bare(K, "0.125", "2^{-3}", T)
bare(K, "-\\frac{1}{2}", "\\frac{1}{-2}", T)
bare(K, "-\\frac{1}{2}", "\\frac{-1}{-2}", F)

# --- 3. presentation ---
K = "presentation"
bare(K, "\\frac{1}{2}", "\\dfrac{1}{2}", T)
bare(K, "\\frac{1}{2}", "\\tfrac12", T)
bare(K, "\\sqrt{2}", "\\sqrt2", T)
bare(K, "\\sqrt{2}", "√2", T, "unicode root")
bare(K, "2\\pi", "2π", T, "unicode pi")
bare(K, "-5", "−5", T, "unicode minus")
bare(K, "\\left(1, 2\\right)", "(1,2)", T)
bare(K, "\\text{Monday}", "monday", T, "case in words")
bare(K, "\\text{Monday}", "Tuesday", F)
bare(K, "\\text{(B)}", "B", T)
bare(K, "\\mbox{yes}", "Yes", T)
bare(K, "10", "\\text{10}", T)
bare(K, "5", "x = 5", T, "leading x =")
bare(K, "5", "x=5", T)
bare(K, "5", "y = 6", F)
bare(K, "1000", "1,000", T, "thousands separator")
bare(K, "10080", "10,\\!080", T, "MATH thousands separator")
bare(K, "10000", "10\\,000", T, "thin-space thousands separator")
bare(K, "1000000", "1,000,000", T)
bare(K, "1000", "1,001", F)
bare(K, "52_8", "52", T, "base subscript")
bare(K, "1011_2", "1011", T, "base subscript")
bare(K, "1011_2", "11", F, "the digits, not the decimal value, are the answer's form")
bare(K, "3", "\\displaystyle 3", T)
bare(K, "\\frac{\\sqrt{3}}{2}", "\\dfrac{\\sqrt3}{2}", T)
bare(K, "2", "  2  ", T)
bare(K, "\\{1,2\\}", "\\left\\{ 1 , 2 \\right\\}", T)
bare(K, "\\text{Evelyn}", "Evelyn", T)
bare(K, "\\text{Evelyn}", "Evelin", F)
bare(K, "12", "$12$", T)
bare(K, "12", "\\(12\\)", T)

# --- 4. units, currency, percent, degrees ---
K = "units"
bare(K, "5", "5 cm", T, "unit ignored when the number matches")
bare(K, "5", "5\\text{ cm}", T)
bare(K, "5", "\\$5.00", T, "currency")
bare(K, "5", "\\$5.50", F)
bare(K, "18", "18 dollars", T)
bare(K, "18", "\\$18", T)
bare(K, "30", "30^\\circ", T, "degree mark")
bare(K, "30", "30°", T)
bare(K, "30^\\circ", "30", T)
bare(K, "30^\\circ", "31^\\circ", F)
bare(K, "5\\text{ cm}", "5\\text{ m}", F, "two different named units")
bare(K, "12", "12 inches", T)
bare(K, "12", "13 inches", F)
bare(K, "20\\text{ square feet}", "20", T)
bare(K, "10\\%", "10", T, "percent matches the bare number")
bare(K, "10\\%", "0.1", T, "percent matches its fraction")
bare(K, "10\\%", "0.1\\%", F, "0.1 percent is not 10 percent")
bare(K, "10", "10\\%", T)
bare(K, "0.1", "10\\%", T)
bare(K, "10\\%", "\\frac{1}{10}", T)
bare(K, "25\\%", "0.25", T)
bare(K, "25\\%", "25", T)
bare(K, "25\\%", "0.025", F)
bare(K, "12.5\\%", "12.5", T)
bare(K, "\\$1,250", "1250", T)
bare(K, "1250", "\\$1,250.00", T)
bare(K, "4", "4\\text{ hours}", T)
bare(K, "4\\text{ hours}", "4\\text{ minutes}", F, "two different named units")
resp(K, "18", "Janet makes $18 every day at the farmers' market.\n#### $18", T)
resp(K, "60", "The angle measures $60^\\circ$.", T)

# --- 5. sets, lists, tuples, intervals, inequalities, set-builder, matrices, equations ---
K = "set-list"
bare(K, "1, 2", "2, 1", T, "comma list is unordered")
bare(K, "\\{1, 2\\}", "\\{2, 1\\}", T)
bare(K, "1, 2, 3", "1, 2", F, "missing element")
bare(K, "1, 2", "1, 2, 3", F, "extra element")
bare(K, "-2, 2", "\\pm 2", T, "pm expands")
bare(K, "\\pm 2", "2, -2", T)
bare(K, "1 \\pm \\sqrt{2}", "1+\\sqrt2, 1-\\sqrt2", T)
bare(K, "1 \\pm \\sqrt{2}", "1+\\sqrt2", F, "only one of the two")
bare(K, "-3, 5", "x = 5, x = -3", T, "solutions written as equations")
bare(K, "\\{1,2\\}", "(1,2)", F, "a tuple is not a set")
bare(K, "\\{1,2\\}", "\\{1,2,2\\}", T, "a set with a repeated element is the same set")
bare(K, "\\emptyset", "\\varnothing", T)
bare(K, "\\emptyset", "\\{\\}", T)
bare(K, "\\emptyset", "\\{0\\}", F)
bare(K, "1,-2", "-2,1", T)
bare(K, "\\frac{1}{2}, 3", "3, 0.5", T)
bare(K, "\\frac{1}{2}, 3", "3, 0.05", F)
bare(K, "-1, 1", "\\{\\pm 1\\}", T)

K = "tuple"
bare(K, "(3,5)", "(3, 5)", T)
bare(K, "(3,5)", "(5,3)", F, "tuples are ordered")
bare(K, "(3,5)", "(x, y) = (3, 5)", T, "the whole answer, not its last number")
bare(K, "5", "(x, y) = (3, 5)", F, "the whole answer, not its last number")
bare(K, "(1, 2, 3)", "(1, 2)", F)
bare(K, "\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)", T)
bare(K, "(2, -1)", "(2,-1)", T)
bare(K, "(2, -1)", "(-1, 2)", F)
bare(K, "(0.5, 2)", "(\\frac12, 2)", T)
bare(K, "(1,2)", "1, 2", F, "a tuple is not an unordered list")

K = "interval"
bare(K, "[2, 5)", "[2,5)", T)
bare(K, "[2, 5)", "(2, 5)", F, "endpoint kind")
bare(K, "[2, 5)", "[2, 5]", F, "endpoint kind")
bare(K, "(-\\infty, 3]", "(-\\infty,3]", T)
bare(K, "(-\\infty, 3) \\cup (5, \\infty)", "(5, \\infty) \\cup (-\\infty, 3)", T, "union is unordered")
bare(K, "(-\\infty, 3) \\cup (5, \\infty)", "(-\\infty, 3] \\cup (5, \\infty)", F)
bare(K, "[0, 1]", "[0, \\frac{2}{2}]", T)
bare(K, "(0, \\infty)", "(0, \\infty]", F, "an open infinite end")

K = "inequality"
bare(K, "(2, \\infty)", "x > 2", T, "an inequality is the same set")
bare(K, "(2, \\infty)", "x \\ge 2", F)
bare(K, "[2, \\infty)", "x \\geq 2", T)
bare(K, "[2, \\infty)", "2 \\le x", T)
bare(K, "(-\\infty, 3)", "x < 3", T)
bare(K, "(-\\infty, 3)", "3 > x", T)
bare(K, "[2, 5)", "2 \\le x < 5", T)
bare(K, "[2, 5)", "2 < x < 5", F)
bare(K, "x > 2", "x > 2", T)
bare(K, "x > 2", "2 < x", T)
bare(K, "x > 2", "x < 2", F)
bare(K, "(-\\infty, 3) \\cup (5, \\infty)", "x < 3 \\text{ or } x > 5", T, "'or' joining inequalities is a union, not a hedge")
bare(K, "(-\\infty, 3) \\cup (5, \\infty)", "x < 3 \\text{ or } x > 6", F)
bare(K, "x \\le -1", "(-\\infty, -1]", T)
bare(K, "(-1, 1)", "-1 < x < 1", T)
bare(K, "(-1, 1)", "|x| < 1", T, "an absolute-value inequality naming the same set")
bare(K, "x > 2", "x > 3", F)

K = "set-builder"
bare(K, "(2, \\infty)", "\\{x \\mid x > 2\\}", T)
bare(K, "(2, \\infty)", "\\{x : x > 2\\}", T)
bare(K, "[0, \\infty)", "\\{x \\mid x \\geq 0\\}", T)
bare(K, "[0, \\infty)", "\\{x \\mid x > 0\\}", F)
bare(K, "(-\\infty, \\infty)", "\\mathbb{R}", T)
bare(K, "(-\\infty, \\infty)", "\\{x \\mid x \\in \\mathbb{R}\\}", T)

K = "matrix"
bare(K, "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", T)
bare(K, "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}", F, "transposed")
bare(K, "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 & 3 & 4 \\end{pmatrix}", F, "shape")
bare(K, "\\begin{pmatrix} 1/2 & 1 \\\\ 0 & 3/2 \\end{pmatrix}", "\\frac{1}{2}\\begin{pmatrix} 1 & 2 \\\\ 0 & 3 \\end{pmatrix}", T, "scalar factor outside")
bare(K, "\\begin{pmatrix} 1/2 & 1 \\\\ 0 & 3/2 \\end{pmatrix}", "\\frac{1}{2}\\begin{pmatrix} 1 & 2 \\\\ 0 & 4 \\end{pmatrix}", F)
bare(K, "\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", "\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", T)
bare(K, "\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", "(2, -1)", T, "a column vector as a tuple")
bare(K, "\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}", "\\begin{pmatrix} -1 \\\\ 2 \\end{pmatrix}", F)
bare(K, "\\begin{pmatrix} 0.5 \\\\ 0 \\end{pmatrix}", "\\begin{pmatrix} \\frac12 \\\\ 0 \\end{pmatrix}", T)
bare(K, "\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}", "2\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}", T)

K = "equation"
bare(K, "y = 2x + 3", "y = 3 + 2x", T)
bare(K, "y = 2x + 3", "2x - y + 3 = 0", T, "same solution set")
bare(K, "y = 2x + 3", "2y = 4x + 6", T, "scaled equation, same solution set")
bare(K, "y = 2x + 3", "y = 2x - 3", F)
bare(K, "y = 2x + 3", "2x + 3", T, "a leading `y =` is presentation (policy 3)")
bare(K, "x^2 + y^2 = 25", "y^2 + x^2 = 25", T)
bare(K, "x^2 + y^2 = 25", "x^2 + y^2 - 25 = 0", T)
bare(K, "x^2 + y^2 = 25", "x^2 + y^2 = 5", F)
bare(K, "x + 2y - 4 = 0", "-x - 2y + 4 = 0", T)
bare(K, "x + 2y - 4 = 0", "x + 2y + 4 = 0", F)
bare(K, "3x - 2y = 6", "y = \\frac{3}{2}x - 3", T)
bare(K, "y = -\\frac{1}{2}x + 4", "x + 2y = 8", T)
bare(K, "y = -\\frac{1}{2}x + 4", "x + 2y = 4", F)

# --- 6. expressions ---
K = "polynomial"
bare(K, "x^2 + 2x + 1", "(x+1)^2", T)
bare(K, "x^2 + 2x + 1", "(x-1)^2", F)
bare(K, "(x-2)(x+3)", "x^2 + x - 6", T)
bare(K, "(x-2)(x+3)", "x^2 - x - 6", F)
bare(K, "3y", "3", F, "the whole answer 3y is not 3")
bare(K, "3", "3y", F, "the whole answer, not its number")
bare(K, "3y", "y \\cdot 3", T)
bare(K, "a^3 - b^3", "(a-b)(a^2+ab+b^2)", T)
bare(K, "a^3 - b^3", "(a-b)^3", F)
bare(K, "2x^3 - 5x", "x(2x^2 - 5)", T)
bare(K, "4x^2 - 9", "(2x-3)(2x+3)", T)
bare(K, "x^{10}", "(x^5)^2", T)
bare(K, "x^{10}", "x^5 \\cdot x^2", F)
bare(K, "\\frac{1}{x} + \\frac{1}{y}", "\\frac{x+y}{xy}", T)
bare(K, "\\frac{2}{x+1}", "\\frac{2}{x-1}", F)
bare(K, "p - q", "-(q - p)", T)
bare(K, "p - q", "q - p", F)
bare(K, "3R^2", "3r^2", F, "symbols are case-sensitive")
bare(K, "3R^2", "3R^{2}", T)
bare(K, "xy", "yx", T)
bare(K, "x_1 + x_2", "x_2 + x_1", T)
bare(K, "x_1 + x_2", "x_1 + x_3", F)
bare(K, "n(n+1)/2", "\\frac{n^2+n}{2}", T)
bare(K, "n(n+1)/2", "\\frac{n^2+1}{2}", F)
bare(K, "x^{12} - 1", "(x^6-1)(x^6+1)", T)
bare(K, "(x+1)^{20}", "(1+x)^{20}", T)
bare(K, "(x+1)^{20}", "(x+1)^{19}", F)
bare(K, "-2x", "x - 3x", T)
bare(K, "6k+2", "2(3k+1)", T)

K = "trig"
bare(K, "\\tan x", "\\frac{\\sin x}{\\cos x}", T)
bare(K, "\\tan x", "\\frac{\\cos x}{\\sin x}", F)
bare(K, "1", "\\sin^2 x + \\cos^2 x", T)
bare(K, "\\sin 2x", "2\\sin x\\cos x", T)
bare(K, "\\sin 2x", "2\\sin x", F)
bare(K, "\\cos 2\\theta", "1 - 2\\sin^2\\theta", T)
bare(K, "\\cos 2\\theta", "1 - 2\\cos^2\\theta", F)
bare(K, "\\frac{\\sqrt{3}}{2}", "\\sin 60^\\circ", T, "degrees inside a trig function")
bare(K, "\\frac{1}{2}", "\\cos\\frac{\\pi}{3}", T)
bare(K, "\\frac{\\pi}{4}", "\\arctan 1", T)
bare(K, "\\frac{\\pi}{4}", "45^\\circ", T, "the same angle")
bare(K, "\\sec x", "\\frac{1}{\\cos x}", T)
bare(K, "\\tan^2 x + 1", "\\sec^2 x", T)

K = "radical"
bare(K, "3\\sqrt{2}", "\\sqrt{18}", T)
bare(K, "18", "\\sqrt{18}", F, "the whole answer, not its number")
bare(K, "3\\sqrt{2}", "2\\sqrt{3}", F)
bare(K, "\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", T)
bare(K, "2\\sqrt{5}", "\\sqrt{20}", T)
bare(K, "2\\sqrt{5}", "\\sqrt{10}", F)
bare(K, "\\sqrt[3]{16}", "2\\sqrt[3]{2}", T)
bare(K, "\\sqrt[3]{-8}", "-2", T)
bare(K, "4", "\\sqrt{16}", T)
bare(K, "4", "16^{1/2}", T)
bare(K, "\\sqrt{2} + \\sqrt{3}", "\\sqrt{3} + \\sqrt{2}", T)
bare(K, "\\sqrt{2} + \\sqrt{3}", "\\sqrt{5}", F)
bare(K, "5 + 2\\sqrt{6}", "(\\sqrt{2} + \\sqrt{3})^2", T)
bare(K, "\\frac{1}{\\sqrt{3}}", "\\frac{\\sqrt{3}}{3}", T)
bare(K, "2\\sqrt{x}", "\\sqrt{4x}", T)

K = "factorial"
bare(K, "24", "4!", T)
bare(K, "4", "4!", F, "4! is 24")
bare(K, "120", "5!", T)
bare(K, "720", "\\frac{10!}{7!}", T)
bare(K, "10", "\\binom{5}{2}", T)
bare(K, "10", "\\binom{5}{3}", T)
bare(K, "10", "\\binom{6}{2}", F)
bare(K, "3628800", "10!", T)
bare(K, "6", "3!", T)

K = "complex"
bare(K, "3 + 4i", "4i + 3", T, "complex numbers in any order")
bare(K, "3 + 4i", "3 - 4i", F)
bare(K, "2i", "(1+i)^2", T, "i squared is -1")
bare(K, "-1", "i^2", T)
bare(K, "1", "i^2", F)
bare(K, "1 - i", "\\frac{2}{1+i}", T)
bare(K, "1 + i", "\\frac{2}{1+i}", F)
bare(K, "i", "\\sqrt{-1}", T)
bare(K, "-2 + 7i", "7i - 2", T)
bare(K, "6 - 5i", "-5i + 6", T)
bare(K, "6 - 5i", "6 + 5i", F)
bare(K, "-i", "i^3", T)
bare(K, "2", "|1+i|^2", T, "modulus squared")

# --- text and choices ---
K = "text"
bare(K, "\\text{no}", "No", T)
bare(K, "\\text{no}", "yes", F)
bare(K, "\\text{even}", "\\text{Even}", T)
bare(K, "\\text{even}", "odd", F)
bare(K, "\\text{(C)}", "C", T)
bare(K, "C", "(C)", T)
bare(K, "C", "D", F)
bare(K, "C", "c", T, "choice letter in lower case")
resp(K, "C", "Comparing the options, the correct choice is (C).", T)
resp(K, "B", "Option A fails at x = 0, so the answer is (B).", T)

# --- more bare predictions of ordinary numbers (GSM8K style) ---
K = "gsm8k-bare"
bare(K, "18", "18", T)
bare(K, "18", "18.0", T)
bare(K, "18", "81", F)
bare(K, "18", "-18", F)
bare(K, "1200", "1,200", T)
bare(K, "1200", "1.200", F, "a decimal point, not a separator")
bare(K, "3", "\\boxed{3}", T, "a bare boxed answer")
bare(K, "3", "\\boxed{4}", F)
bare(K, "70000", "70,000", T)
bare(K, "70000", "\\$70,000", T)

# --- more full responses (GSM8K and MATH style) ---
K = "response"
resp(K, "1, 2", "The quadratic factors as $(x-1)(x-2)=0$, so the solutions are $\\boxed{2, 1}$.", T)
resp(K, "\\frac{2}{3}", "Simplifying, $\\frac{-4}{-6} = \\frac{2}{3}$. The answer is $\\frac{-4}{-6}$.", T)
resp(K, "3\\sqrt{2}", "The hypotenuse is $\\sqrt{9 + 9} = \\sqrt{18}$.\n\nFinal answer: $\\sqrt{18}$", T)
resp(K, "24", "We need $4!$ arrangements. The answer is $4!$.", T)
resp(K, "4", "We need $4!$ arrangements. The answer is $4!$.", F, "4! is 24, not 4")
resp(K, "(2,\\infty)", "Therefore $x > 2$, and the solution set is \\boxed{(2, \\infty)}.", T)
resp(K, "[2, \\infty)", "Solving, the answer is $x \\ge 2$.", T)
resp(K, "x^2+2x+1", "The expansion gives \\boxed{(x+1)^2}.", T)
resp(K, "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "Multiplying, we get $$\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}$$", T)
resp(K, "10\\%", "The increase is 5 out of 50, which is \\boxed{10\\%}.", T)
resp(K, "0.1", "The increase is 5 out of 50, which is \\boxed{10\\%}.", T)
resp(K, "10", "The increase is 5 out of 50.\n#### 10%", T)
resp(K, "\\text{Monday}", "Counting forward 7 days, the answer is \\boxed{\\text{Monday}}.", T)
resp(K, "\\text{Monday}", "Counting forward 7 days, the answer is \\boxed{\\text{Tuesday}}.", F)
resp(K, "3 + 4i", "Multiplying out, $(2+i)^2 = 4 + 4i + i^2 = 3 + 4i$. \\boxed{4i+3}", T)
resp(K, "y = 2x + 3", "The slope is 2 and the intercept 3, so \\boxed{2x - y + 3 = 0}.", T)
resp(K, "\\frac{9}{5}", "So she ran $1\\frac{4}{5}$ miles.\n\nThe answer is $1\\frac45$.", T)
resp(K, "5", "We get 2 + 3 = 5.\n\nThe answer is 6.", F, "the affirmed answer is 6")
resp(K, "6", "The answer is 5. Wait, I made an error: 2 + 4 = 6. The answer is 6.", T, "last affirmed answer")
resp(K, "5", "The answer is 5. Wait, I made an error: 2 + 4 = 6. The answer is 6.", F, "last affirmed answer")
resp(K, "0.5", "Half the cookies: the final answer is $\\frac{1}{2}$.", T)
resp(K, "12", "Total cost: 3 * 4 = \\$12.\n#### \\$12.00", T)
resp(K, "\\{1, 2\\}", "The answer is $\\{2, 1\\}$.", T)
resp(K, "(1, 2)", "The answer is $\\{1, 2\\}$.", F, "a set is not a tuple")
resp(K, "\\tan x", "Using the identity, the expression simplifies to $\\frac{\\sin x}{\\cos x}$.\n\nFinal answer: $\\frac{\\sin x}{\\cos x}$", T)


# --- a second round: near misses and forms the first round did not cover ---
K = "near-miss"
bare(K, "12", "120", F)
bare(K, "3", "\\boxed{33}", F)
bare(K, "0.5", "5", F)
bare(K, "\\frac{1}{2}", "2", F, "the whole fraction, not its last number")
bare(K, "\\frac{1}{2}", "\\frac{2}{1}", F)
bare(K, "8", "2^3", T)
bare(K, "8", "3^2", F)
bare(K, "9", "\\sqrt{9}", F, "the root of 9 is 3")
bare(K, "3", "\\sqrt{9}", T)
bare(K, "x+1", "x-1", F)
bare(K, "\\sin x", "\\cos x", F)
bare(K, "(1,2)", "[1,2]", F, "open vs closed")
bare(K, "[1,2]", "\\{1, 2\\}", F, "an interval is not a two-element set")
bare(K, "1,000", "1", F)
bare(K, "1,2", "12", F)
bare(K, "\\infty", "\\infty", T)
bare(K, "-\\infty", "\\infty", F)
bare(K, "\\pm 3", "3", F, "only one of the two")
bare(K, "\\pm 3", "3, -3", T)
bare(K, "1, 2", "1 or 2", F, "hedged, even though both are solutions")
bare(K, "\\sqrt{a^2}", "a", F, "the root of a^2 is |a|")
bare(K, "|x|", "\\sqrt{x^2}", T)
bare(K, "\\frac{a}{b}", "a/b", T)
bare(K, "\\frac{a}{b}", "b/a", F)
bare(K, "2 + 3i", "2 + 3j", F, "j is a variable, not the imaginary unit")
bare(K, "\\frac{\\pi}{6}", "60^\\circ", F)

K = "more-forms"
bare(K, "2\\sqrt{2}", "\\sqrt{8}", T)
bare(K, "2\\sqrt{2}", "\\sqrt{2}\\cdot 2", T)
bare(K, "2\\sqrt{2}", "2.828", F)
bare(K, "2\\sqrt{3}", "\\sqrt{12}", T)
bare(K, "3", "\\log_2 8", T)
bare(K, "\\frac{\\pi}{6}", "30^\\circ", T)
bare(K, "\\frac{1+i}{2}", "0.5 + 0.5i", T)
bare(K, "2^{10}", "1024", T)
bare(K, "2^{100}", "1267650600228229401496703205376", T)
bare(K, "2^{100}", "1267650600228229401496703205377", F)
bare(K, "10^{-3}", "0.001", T)
bare(K, "1500", "1.5\\times10^{3}", T)
bare(K, "6\\%", "0.06", T)
bare(K, "50\\%", "\\frac{1}{2}", T)
bare(K, "50\\%", "5", F)
bare(K, "a + b", "b + a", T)
bare(K, "\\text{Sunday}", "sunday", T)
bare(K, "(A)", "A", T)
bare(K, "\\text{undefined}", "undefined", T)
bare(K, "\\text{no solution}", "No solution", T)
bare(K, "x = 3", "3", T)
bare(K, "y = x^2", "y - x^2 = 0", T)
bare(K, "x^2 = 4", "x = 2", F, "solution sets {-2, 2} and {2} differ")
bare(K, "k = 5", "5", T)
bare(K, "[2, 5)", "x \\in [2, 5)", T)
bare(K, "(-\\infty, 3) \\cup (5, \\infty)", "x \\in (-\\infty, 3) \\cup (5, \\infty)", T)
bare(K, "(-\\infty, 3]", "\\{x : x \\le 3\\}", T)
bare(K, "(-\\infty, 3]", "x < 3", F)
bare(K, "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}", F, "a column is not a row: shapes differ")
bare(K, "\\frac{1}{2}", "1/2", T)
bare(K, "\\frac12", "2/4", T)
bare(K, "\\pi r^2", "r^2 \\pi", T)
bare(K, "e^2", "e^{2}", T)

K = "plain-text-forms"
bare(K, "2, 3", "x = 2 or x = 3", T, "the solutions of an equation joined by 'or' are a list, not a hedge")
bare(K, "2", "x = 2 or x = 3", F, "two solutions for one")
bare(K, "2", "x = 2 or 3", F, "hedged")
bare(K, "3, 4", "3 and 4", T, "a list written with 'and'")
bare(K, "4", "3 and 4", F, "two answers for one")
bare(K, "0.1", "10 percent", T, "percent in words")
bare(K, "10\\%", "10 percent", T)
bare(K, "1000000", "1 000 000", T, "space as a thousands separator")
bare(K, "1000", "1 000", T)
bare(K, "x^2", "x²", T, "unicode superscript")
bare(K, "\\frac{5}{2}", "2 1/2", T, "a mixed number in plain text means addition")
bare(K, "1", "2 1/2", F, "a mixed number, not 2 times 1/2")
bare(K, "\\frac12", "½", T, "unicode fraction")
bare(K, "(-\\infty,\\infty)", "all real numbers", T)
bare(K, "\\text{Alice and Bob}", "alice and bob", T)

bare(K, "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\\\\n 3 & 4 \\end{pmatrix}", T, "a bare answer over two lines")
bare(K, "4", "\\begin{pmatrix} 1 & 2 \\\\\n 3 & 4 \\end{pmatrix}", F, "the whole matrix, not its last number")

K = "budget"
bare(K, "9^{9^{9}}", "9^{9^{9}}", T, "identical; no evaluation needed")
bare(K, "9^{9^{9}}", "9^{9^{9}} + 1", F, "too large to evaluate: must not pass, must not hang")
bare(K, "2^{2^{2^{10}}}", "2^{2^{2^{10}}} - 1", F, "too large to evaluate: must not pass, must not hang")
bare(K, "(x+1)^{300}", "(1+x)^{300}", T, "a large power, same polynomial")
bare(K, "(x+1)^{300}", "(x+1)^{300} + 1", F, "must not pass, must not hang")

K = "response-2"
resp(K, "7", "Subtracting 3 from both sides, we find that x = 7. Therefore, $x = 7$.", T)
resp(K, "15", "Adding them up gives 15.\nAnswer: 15", T)
resp(K, "15", "So the final answer is: $\\boxed{15}$", T)
resp(K, "12", "The perimeter is 4 * 3 = 12, so the result is 12 cm.", T)
resp(K, "5", "The answer is 5 dollars.", T)
resp(K, "0.75", "Therefore the answer is $\\frac{3}{4}$, which is 0.75.", T)
resp(K, "(4, 5)", "We find x = 4 and y = 5. The answer is $(4, 5)$.", T)
resp(K, "(4, 5)", "We find x = 4 and y = 5. The answer is $(5, 4)$.", F)
resp(K, "12", "The answer is 120.", F)
resp(K, "\\frac{3}{4}", "The value is \\boxed{\\frac{3}{", F, "truncated inside the box")
resp(K, "6", "First \\boxed{5}, then on reflection \\boxed{6}", T, "last box")
resp(K, "2", "There are two cases. Either the number is 2 or it is 3.", F, "hedged final statement")
resp(K, "x > 2", "Solving, we get $x > 2$. So the answer is $x > 2$.", T)
resp(K, "[-1, 1]", "Since $|x| \\le 1$, the answer is $[-1, 1]$.", T)

K = "bare-with-words"
bare(K, "\\frac{1}{2}", "\\frac{1}{2} cup", T, "a plain word naming what the answer counts")
bare(K, "2", "\\frac{1}{2} cup", F, "the whole fraction, not its last number")
bare(K, "5", "5 apples", T)
bare(K, "5", "6 apples", F)
bare(K, "3", "3 more marbles", T)
bare(K, "3", "either 3 or 4 marbles", F, "hedged")
bare(K, "5", "5 squared", F, "an operand, not the value stated")
bare(K, "25", "5 squared", F, "words are not read as operations: never equivalent, at worst unknown")
bare(K, "7", "2 more than x", F, "an operand, not the value stated")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "Tests", "Fixtures", "math", "policy_pairs.jsonl")
    counts = {}
    with open(path, "w", encoding="utf-8") as f:
        for kind, gold, prediction, is_bare, equivalent, why in PAIRS:
            counts[kind] = counts.get(kind, 0) + 1
            row = {"id": f"{kind}-{counts[kind]}", "kind": kind, "gold": gold, "prediction": prediction,
                   "bare": is_bare, "equivalent": equivalent}
            if why:
                row["why"] = why
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    n = len(PAIRS)
    n_bare = sum(1 for p in PAIRS if p[3])
    n_eq = sum(1 for p in PAIRS if p[4])
    print(f"{n} pairs ({n_bare} bare, {n - n_bare} full responses; {n_eq} equivalent, {n - n_eq} not) in {len(counts)} kinds -> {path}")


if __name__ == "__main__":
    main()
