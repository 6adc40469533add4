// The practice page's behaviour: check an answer (answers.js decides free answers exactly as
// `examgen grade` would), name the mistake it matches, show the worked solution, and swap in the
// next pre-built variant. Everything the page needs is in the page; nothing is fetched.
(function () {
  "use strict";

  function setup(article) {
    const body = article.querySelector(".variant-body");
    const feedback = article.querySelector(".feedback");
    const count = article.querySelector(".count");
    const solutionButton = article.querySelector("button.solution");
    const solutionSlot = article.querySelector(".solution-slot");
    const variants = Array.from(article.querySelectorAll("template.variant"));
    const mistakes = article.querySelector("template.mistakes");
    const rule = JSON.parse(article.dataset.rule);
    let index = 0;

    function say(status, html) {
      feedback.dataset.status = status;
      feedback.innerHTML = html;
    }

    function showSolution(open) {
      const section = solutionSlot.querySelector(".solution-text");
      section.hidden = !open;
      solutionButton.setAttribute("aria-expanded", String(open));
      solutionButton.textContent = open ? "Hide solution" : "Solution";
    }

    // The options come as a plain list, which is what a page without JavaScript should show
    // (nothing there would answer a button); here they become radio buttons, one group per
    // problem named after it, so a screen reader announces "one of these" and the browser gives
    // the keys of a radio group (Tab to the group, arrows to pick).
    function optionRadios() {
      const list = body.querySelector("ul.options");
      if (!list) return;
      const group = document.createElement("div");
      group.className = "options";
      group.setAttribute("role", "radiogroup");
      group.setAttribute("aria-label", list.dataset.name);
      group.dataset.correct = list.dataset.correct;
      for (const item of list.querySelectorAll("li.option")) {
        const label = document.createElement("label");
        label.className = "option";
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = `${article.id}-option`;
        radio.value = item.dataset.value;
        const text = document.createElement("span"); // one flex item, math and all
        text.append(...item.childNodes);
        label.append(radio, text);
        group.append(label);
      }
      list.replaceWith(group);
    }

    function wire() {
      optionRadios();
      // Enter checks, in the answer box and on an option alike.
      for (const control of body.querySelectorAll("input[name=answer], input[type=radio]")) {
        control.addEventListener("keydown", (event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            check();
          }
        });
      }
    }

    // `news`: what the live region adds to "Variant 3 of 50" (": new numbers"), or null to say
    // nothing (a variant restored as the page loads).
    function show(next, news) {
      index = next;
      const template = variants[index];
      const content = template.content.cloneNode(true);
      solutionSlot.replaceChildren(content.querySelector(".solution-text"));
      body.replaceChildren(content);
      body.dataset.check = template.dataset.check;
      article.dataset.params = template.dataset.params;
      count.textContent = `Variant ${index + 1} of ${variants.length}`;
      delete feedback.dataset.mistakes;
      // The counter shows it; the live region only says it, so that it is not on screen twice.
      say("", news === null ? "" : `<span class="visually-hidden">${count.textContent}${news}.</span>`);
      showSolution(false);
      wire();
      remember(article.id, index);
    }

    // Several named mistakes can give one value: any one of them explains it, so they are offered
    // as alternatives (`examgen grade` joins their names with "or"), never as if all were made.
    function mistakeHtml(names) {
      const explanations = names
        .map((name) => mistakes && mistakes.content.querySelector(`[data-mistake="${CSS.escape(name)}"]`))
        .filter(Boolean)
        .map((p) => p.innerHTML);
      if (explanations.length < 2) return explanations.join("");
      const items = explanations.map((html) => `<li>${html}</li>`).join("");
      return `Any one of these mistakes gives this value:<ul class="alternatives">${items}</ul>`;
    }

    // "2.3" for 7/3 under a two-place rule: right as far as it goes, refused for its precision.
    // Said so, with the solution left closed: the student has the value and needs more digits.
    function shortHtml(result) {
      const parts = result.short.map((s) => {
        const have = s.places < rule.decimals
          ? (s.places === 0 ? "a whole number" : counted(s.places, "decimal place"))
          : counted(s.significant, "significant digit");
        const what = result.outOf > 1 ? `Component ${s.component} (${escapeText(s.text)})` : escapeText(s.text);
        return `${what} is rounded right, but to ${have}.`;
      });
      return `<strong>Close, but not precise enough.</strong> ${parts.join(" ")} Answers need ` +
        `${examgenAnswers.describe(rule)}: type more digits, or the exact fraction.`;
    }

    function checkTyped(input) {
      const question = JSON.parse(body.dataset.check);
      const result = examgenAnswers.check(input.value, question, rule);
      delete feedback.dataset.mistakes; // an earlier answer's, until this one is read
      if (result.status === "blank") {
        say("blank", "Type an answer first.");
        input.focus();
        return false;
      }
      if (result.status === "unreadable") {
        const reason = result.reason.replace(LONG_WORD, clipped);
        say("unreadable", `Cannot read “${escapeText(clipped(input.value.trim()))}”: it ${escapeText(reason)}.`);
        return false;
      }
      feedback.dataset.mistakes = result.mistakes.join(" ");
      if (result.short.length && result.right + result.short.length === result.outOf) {
        say("imprecise", shortHtml(result));
        return false;
      }
      if (result.status === "correct") {
        say("correct", "<strong>Correct.</strong>");
      } else {
        const part = result.status === "partial"
          ? ` ${result.right} of ${result.outOf} components ${result.right === 1 ? "is" : "are"} right.` : "";
        const named = mistakeHtml(result.mistakes);
        say(result.status, `<strong>Not correct.</strong>${part}${named ? " " + named : ""}`);
      }
      return true;
    }

    function checkPicked() {
      const picked = body.querySelector("input[type=radio]:checked");
      if (!picked) {
        say("blank", "Choose an answer first.");
        return false;
      }
      const value = picked.value;
      const right = value === body.querySelector(".options").dataset.correct;
      const note = body.querySelector(`.note[data-value="${CSS.escape(value)}"]`);
      say(right ? "correct" : "wrong",
          right ? "<strong>Correct.</strong>"
                : `<strong>Not correct.</strong>${note ? " " + note.innerHTML : ""}`);
      return true;
    }

    function check() {
      const input = body.querySelector("input[name=answer]");
      const done = input ? checkTyped(input) : checkPicked();
      if (done) showSolution(true);
    }

    article.querySelector("button.check").addEventListener("click", check);
    article.querySelector("button.another").addEventListener("click", () => {
      show((index + 1) % variants.length, `: ${article.dataset.another}`);
    });
    article.querySelector("button.previous").addEventListener("click", () => {
      show((index + variants.length - 1) % variants.length, "");
    });
    solutionButton.addEventListener("click", () => {
      showSolution(solutionSlot.querySelector(".solution-text").hidden);
    });
    shown.set(article.id, 0);
    const restored = remembered(article.id, variants.length);
    if (restored) show(restored, null);
    else wire();
  }

  // Each problem's variant is kept in the URL's fragment, 1-based, variant 1 left out
  // ("#gradient-descent-step=3&sgd-direction=2"), so that a reload, or Back from another page,
  // shows the variants the student was at (every problem was at variant 1 again). The entry is
  // replaced, not pushed: changing a variant adds no step to Back.
  const shown = new Map(); // article id → the variant's index, in page order
  function remember(id, index) {
    shown.set(id, index);
    const fragment = [...shown].filter(([, i]) => i).map(([key, i]) => `${key}=${i + 1}`).join("&");
    history.replaceState(history.state, "", fragment ? `#${fragment}` : location.pathname + location.search);
  }

  // The index the fragment the page was loaded with gives a problem of `count` variants; 0
  // (variant 1) for none, or for one that names no variant of it (a number out of range, a plain
  // #anchor). Read once: restoring one problem rewrites the fragment before the next is set up.
  const loadedWith = new URLSearchParams(location.hash.slice(1));
  function remembered(id, count) {
    const k = loadedWith.get(id);
    return k !== null && /^[1-9][0-9]*$/.test(k) && Number(k) <= count ? Number(k) - 1 : 0;
  }

  // What was typed, as the feedback quotes it: a long text cut in the middle (its start and end
  // say what it is) to ECHO characters, so that the live region reads a line, not a screenful
  // (5,000 pasted digits were announced whole).
  const ECHO = 60;
  const LONG_WORD = new RegExp(`\\S{${ECHO + 1},}`, "gu"); // a component the reason quotes
  function clipped(text) {
    const chars = [...text];
    if (chars.length <= ECHO) return text;
    return chars.slice(0, ECHO - 20).join("") + "…" + chars.slice(-19).join("");
  }

  function counted(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }

  function escapeText(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }

  document.querySelectorAll("article.problem").forEach(setup);
})();
