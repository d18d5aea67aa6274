// The chain endpoint the court chose among those its node configured (config.json; the page's CSP
// lets it reach exactly those): the chain checks ask it first — the loan's facts and the member
// names are its answers — and every other configured endpoint is asked the same, to cross-check;
// endpoints that disagree make a named failure, never a pass. The choice stays in this browser.
const KEY = "jl-verify-endpoint";

const TEXT = {
  zh: {
    label: "核验所用链节点",
    hint: "其余已配置的链节点用于交叉核对：答复不一致即核验失败。",
  },
  en: {
    label: "Chain endpoint to check against",
    hint: "The other configured endpoints cross-check it: a different answer fails the verification.",
  },
};

function stored() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** `settings` with the chosen endpoint first (the page's configuration order otherwise). */
export function withChosenEndpoint(settings) {
  const endpoints = settings?.chainEndpoints ?? [];
  const chosen = stored();
  if (!endpoints.includes(chosen)) return settings;
  return { ...settings, chainEndpoints: [chosen, ...endpoints.filter((e) => e !== chosen)] };
}

/** The choice in `container` where the page's configuration names more than one endpoint. */
export function renderEndpointChoice(container, settings, lang) {
  const endpoints = settings?.chainEndpoints ?? [];
  container.hidden = endpoints.length < 2;
  if (container.hidden) return;
  const T = TEXT[lang] ?? TEXT.en;
  const select = document.createElement("select");
  select.id = "chain-endpoint";
  const chosen = withChosenEndpoint(settings).chainEndpoints[0];
  for (const endpoint of endpoints) {
    const option = document.createElement("option");
    option.value = endpoint;
    option.textContent = endpoint;
    option.selected = endpoint === chosen;
    select.append(option);
  }
  select.addEventListener("change", () => {
    try {
      localStorage.setItem(KEY, select.value);
    } catch {
      // a browser without storage keeps the configuration's order
    }
  });
  const label = document.createElement("label");
  label.htmlFor = "chain-endpoint";
  label.textContent = T.label;
  const hint = document.createElement("span");
  hint.className = "drop-hint";
  hint.textContent = T.hint;
  container.replaceChildren(label, select, hint);
}
