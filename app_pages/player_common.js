// What the radio's and the studio's players share; app_pages/common.py's player_component
// puts it before each player's module. A player's state lives on window, so a rerun of the
// page (which calls the component again) never stops or rewinds the sound, and its markup is
// made once per element.

// The player's state window[key], made by fresh() on the first call; every call hands it
// the component's latest callbacks.
function playerState(key, component, fresh) {
  const p = window[key] || (window[key] = fresh());
  p.setStateValue = component.setStateValue;
  p.setTriggerValue = component.setTriggerValue;
  return p;
}

// The player's element in parentElement: a div of className holding html, made (and its
// controls wired by wire(root)) when the element has none yet.
function playerRoot(parentElement, className, html, wire) {
  let root = parentElement.querySelector(`.${className}`);
  if (!root) {
    root = document.createElement("div");
    root.className = className;
    root.innerHTML = html;
    parentElement.appendChild(root);
    wire(root);
  }
  return root;
}

