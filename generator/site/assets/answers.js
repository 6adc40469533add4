// The acceptance rule of `examgen grade` (generator/responses.py), ported line for line so that a
// practice page says "correct" exactly when grading would give full credit. Numbers are exact
// rationals over BigInt; nothing here uses floating point. tests/test_site_answers.py runs this
// file in Chromium against the Python rule on hypothesis-generated responses.
(function (root) {
  "use strict";

  // --- exact rationals -------------------------------------------------------------------------
  function gcd(a, b) {
    a = a < 0n ? -a : a;
    b = b < 0n ? -b : b;
    while (b) [a, b] = [b, a % b];
    return a;
  }
  function rat(n, d) {
    if (d < 0n) [n, d] = [-n, -d];
    const g = gcd(n, d) || 1n;
    return { n: n / g, d: d / g };
  }
  function parseExact(text) {
    // key.json's exact strings: "4", "-7/3".
    const [n, d] = String(text).split("/");
    return rat(BigInt(n), BigInt(d === undefined ? "1" : d));
  }
  function equal(a, b) {
    return a.n === b.n && a.d === b.d;
  }

  // --- normalising (responses.normalize) ---------------------------------------------------------
  const LOOKALIKES = {
    "\u2212": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\ufe63": "-",
    "\u2044": "/", "\u2215": "/", "\u00f7": "/",
    "\u27e8": "(", "\u27e9": ")", "\u2019": "'",
  };
  const LOOKALIKE_RE = new RegExp("[" + Object.keys(LOOKALIKES).join("") + "]", "g");
  // Python's \s on str: every character str.isspace() calls white space.
  const SPACES = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/gu;
  // responses.visible: invisible format characters (Cf: a zero-width space, a byte-order mark…)
  // set aside, but not the direction embeddings, overrides and isolates of
  // characters.bidi_control, which reverse how the rest is shown and so stay unreadable.
  const INVISIBLE = /(?![\u202a-\u202e\u2066-\u2069])\p{Cf}/gu;

  function normalize(text) {
    text = text.replace(INVISIBLE, "").normalize("NFKC").replace(LOOKALIKE_RE, (c) => LOOKALIKES[c]);
    text = text.replace(SPACES, " ").replace(/^ +| +$/g, "");
    text = text.replace(/ ?\/ ?/g, "/");
    return text.replace(/(^|[(\[,; ])([+-]) (?=[\p{Nd}.])/gu, "$1$2");
  }

  // --- reading (responses.read_number, read_vector) ----------------------------------------------
  class Unreadable extends Error {}

  const BRACKETS = { "(": ")", "[": "]", "{": "}", "<": ">" };
  const CLOSING = new Set(Object.values(BRACKETS));
  const FRACTION = /^[+-]?\p{Nd}+(\/\p{Nd}+)?$/u;
  const DECIMAL = /^[+-]?(\p{Nd}+\.\p{Nd}*|\.\p{Nd}+)$/u;
  const COMMA = /^[+-]?\p{Nd}+,\p{Nd}+$/u;
  const SCIENTIFIC = /^[+-]?(\p{Nd}+\.?\p{Nd}*|\.\p{Nd}+)[eE][+-]?\p{Nd}+$/u;
  const TRANSPOSE = /(?<=[)\]}>]) ?(\^ ?\{?[Tt]\}?|T|')$/u;
  const IS_DIGIT = /^\p{Nd}$/u;

  function unwrap(text) {
    const chars = [...text];
    if (chars.length >= 2 && BRACKETS[chars[0]] === chars[chars.length - 1]) {
      return chars.slice(1, -1).join("").replace(/^ +| +$/g, "");
    }
    return text;
  }

  // Python's int() reads any Unicode decimal digit; Unicode assigns them in runs 0…9.
  function digitValue(ch) {
    let cp = ch.codePointAt(0);
    if (cp >= 48 && cp <= 57) return cp - 48;
    let start = cp;
    while (IS_DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
    return (cp - start) % 10;
  }
  function integer(digits) {
    let value = 0n;
    for (const ch of digits) value = value * 10n + BigInt(digitValue(ch));
    return value;
  }
  function signed(text) {
    const negative = text[0] === "-";
    const body = text[0] === "-" || text[0] === "+" ? text.slice(1) : text;
    return [negative, body];
  }

  // responses.MAX_NUMBER_LENGTH: more characters than any answer has.
  const MAX_NUMBER_LENGTH = 200;

  function readNumber(raw) {
    const text = unwrap(normalize(raw));
    const length = [...text].length; // code points, as Python's len counts them
    if (length > MAX_NUMBER_LENGTH) {
      const shown = String(length).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
      throw new Unreadable(`is ${shown} characters long; no answer has more than ${MAX_NUMBER_LENGTH}`);
    }
    if (FRACTION.test(text)) {
      const [negative, body] = signed(text);
      const [num, den] = body.split("/");
      if (den !== undefined && integer(den) === 0n) throw new Unreadable("divides by zero");
      const n = integer(num);
      const whole = den === undefined ? num.replace(/[^0-9]/g, "").replace(/^0+/, "").length : 0;
      return { value: rat(negative ? -n : n, den === undefined ? 1n : integer(den)), places: null,
               significant: whole, text };
    }
    if (DECIMAL.test(text)) {
      const [negative, body] = signed(text);
      const [whole, frac] = body.split(".");
      const places = [...frac].length;
      const n = integer(whole + frac);
      const significant = text.replace(/[^0-9]/g, "").replace(/^0+/, "").length;
      return { value: rat(negative ? -n : n, 10n ** BigInt(places)), places, significant, text };
    }
    if (COMMA.test(text)) {
      throw new Unreadable("has a comma: write a decimal with a point (4.5), or a vector in brackets");
    }
    if (SCIENTIFIC.test(text)) {
      throw new Unreadable("is in scientific notation: write a fraction or a decimal");
    }
    throw new Unreadable("is not a number (write e.g. 9/2, -7/3 or 4.5)");
  }

  // Python's repr() of a string, as read_vector quotes a component in its message.
  function pyRepr(text) {
    const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
    let out = "";
    for (const ch of text) {
      if (ch === "\\") out += "\\\\";
      else if (ch === quote) out += "\\" + ch;
      else if (/^[\p{C}\p{Z}]$/u.test(ch) && ch !== " ") {
        const cp = ch.codePointAt(0);
        if (ch === "\t") out += "\\t";
        else if (ch === "\n") out += "\\n";
        else if (ch === "\r") out += "\\r";
        else if (cp < 0x100) out += "\\x" + cp.toString(16).padStart(2, "0");
        else if (cp < 0x10000) out += "\\u" + cp.toString(16).padStart(4, "0");
        else out += "\\U" + cp.toString(16).padStart(8, "0");
      } else out += ch;
    }
    return quote + out + quote;
  }

  function readVector(raw, size) {
    const text = unwrap(normalize(raw).replace(TRANSPOSE, ""));
    if (!text) throw new Unreadable(`is empty inside the brackets; expected ${numbers(size)}`);
    const chars = [...text];
    const opens = BRACKETS[chars[0]] !== undefined;
    if (opens !== CLOSING.has(chars[chars.length - 1])) {
      throw new Unreadable(opens ? "opens a bracket it does not close"
                                 : "closes a bracket it does not open");
    }
    let parts;
    if (text.includes(";")) parts = text.split(";").map((p) => p.replace(/^ +| +$/g, ""));
    else if (text.includes(",")) parts = text.split(",").map((p) => p.replace(/^ +| +$/g, ""));
    else parts = text.split(" ");
    const read = parts.map((part, i) => {
      try {
        return readNumber(part);
      } catch (err) {
        if (!(err instanceof Unreadable)) throw err;
        // Counted only once they are numbers: "hello" has no number, not "1 number".
        if (parts.length === 1 && size !== 1) throw new Unreadable(`is not a vector of ${numbers(size)}`);
        throw new Unreadable(`has component ${i + 1} (${pyRepr(part)}), which ${err.message}`);
      }
    });
    if (parts.length !== size) throw new Unreadable(`has ${numbers(parts.length)}; expected ${size}`);
    return read;
  }

  function numbers(count) {
    return `${count} number${count === 1 ? "" : "s"}`;
  }

  // --- the rule (responses.DecimalRule.accepts, credit, matches) ---------------------------------
  function accepts(rule, typed, exact) {
    if (equal(typed.value, exact)) return true;
    let places = typed.places;
    // No places asked for: a whole number is a rounding to none (-16 for -63/4).
    if (places === null && rule.decimals === 0 && !typed.text.includes("/")) places = 0;
    if (places === null || places < rule.decimals) return false;
    if (typed.significant < rule.significant) return false;
    // |typed - exact| * 2 * 10^places <= 1, over a common denominator.
    const diff = typed.value.n * exact.d - exact.n * typed.value.d;
    const gap = (diff < 0n ? -diff : diff) * 2n * 10n ** BigInt(places);
    return gap <= typed.value.d * exact.d;
  }

  // --- too few digits (the practice page's own; `examgen grade` gives no credit and says nothing) -
  // A typed decimal the rule refuses only for its precision: a correct rounding of the answer (in
  // accepts's sense, to the places it has) with fewer decimal places or significant digits than
  // the rule asks. Only the digits typed are confirmed, never one more, so it cannot be used to
  // learn the answer past what the student already has.
  function tooShort(rule, typed, exact) {
    if (accepts(rule, typed, exact)) return false;
    let places = typed.places;
    if (places === null && rule.decimals === 0 && !typed.text.includes("/")) places = 0;
    if (places === null) return false;
    const diff = typed.value.n * exact.d - exact.n * typed.value.d;
    const gap = (diff < 0n ? -diff : diff) * 2n * 10n ** BigInt(places);
    return gap <= typed.value.d * exact.d;
  }

  // The components (1-based; 1 for a number) typed too short, each with its digits:
  // [{component, text, places, significant}].
  function shortOnes(reading, kind, value, rule) {
    const readings = kind === "vector" ? reading : [reading];
    const values = kind === "vector" ? value : [value];
    if (!Array.isArray(values) || !values.every(isExact) || values.length !== readings.length) return [];
    return readings
      .map((typed, i) => ({ typed, i }))
      .filter(({ typed, i }) => tooShort(rule, typed, parseExact(values[i])))
      .map(({ typed, i }) => ({
        component: i + 1,
        text: typed.text,
        places: typed.places === null ? 0 : typed.places,
        significant: typed.significant,
      }));
  }

  // responses.DecimalRule.describe: the rule in words, as the page's hint gives it.
  function describe(rule) {
    const counts = [[rule.decimals, "decimal place"], [rule.significant, "significant digit"]]
      .filter(([n]) => n)
      .map(([n, word]) => `${n} ${word}${n === 1 ? "" : "s"}`);
    if (!counts.length) return "any number of decimal places, whole numbers included";
    return "at least " + counts.join(" and ");
  }

  function isExact(value) {
    return typeof value === "string" && /^-?\d+(\/\d+)?$/.test(value);
  }

  // The share of `value` a reading earns, as [right, out of]; null when `value` has another shape.
  function credit(reading, kind, value, rule) {
    if (kind === "vector") {
      if (!Array.isArray(value) || !value.every(isExact) || value.length !== reading.length) {
        return Array.isArray(value) && value.every(isExact) ? [0, 1] : null;
      }
      const right = reading.filter((t, i) => accepts(rule, t, parseExact(value[i]))).length;
      return [right, value.length];
    }
    if (!isExact(value)) return null;
    return [accepts(rule, reading, parseExact(value)) ? 1 : 0, 1];
  }

  function full(share) {
    return share !== null && share[0] === share[1];
  }

  // One typed response against a question {kind, size, value, mistakes: [{name, value}]}:
  // {status: "correct" | "partial" | "wrong" | "unreadable", right, outOf, reason, mistakes,
  //  short}; `short`: the components typed as a correct rounding with too few digits (tooShort).
  function check(text, question, rule) {
    if (normalize(text) === "") {
      return { status: "blank", right: 0, outOf: 1, reason: "", mistakes: [], short: [] };
    }
    let reading;
    try {
      reading = question.kind === "vector" ? readVector(text, question.size) : readNumber(text);
    } catch (err) {
      if (!(err instanceof Unreadable)) throw err;
      return { status: "unreadable", right: 0, outOf: 1, reason: err.message, mistakes: [], short: [] };
    }
    const share = credit(reading, question.kind, question.value, rule);
    const [right, outOf] = share;
    const status = right === outOf ? "correct" : right > 0 ? "partial" : "wrong";
    const mistakes = status === "correct" ? [] : (question.mistakes || [])
      .filter((m) => full(credit(reading, question.kind, m.value, rule)))
      .map((m) => m.name);
    const short = status === "correct" ? [] : shortOnes(reading, question.kind, question.value, rule);
    return { status, right, outOf, reason: "", mistakes, short };
  }

  const api = { check, describe, normalize, readNumber, readVector, parseExact, accepts, Unreadable };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.examgenAnswers = api;
})(this);
