/* The 展评 deck (deck.html): one slide at a time, scaled to the screen. Arrow keys, space, Enter,
 * PageUp/PageDown, Home/End, a click (left third: back) or a swipe move between slides; F or the
 * button goes full screen. The slide's number stays in the address (#3), so a reload keeps it.
 * A slide whose text does not fit is set a little smaller until it does.
 * Plain ES5 and no library: it runs from file:// on whatever computer the hall has. */
(function () {
  'use strict';

  var WIDTH = 1280, HEIGHT = 720, SMALLEST = 0.6, IDLE_MS = 2500;
  var root = document.documentElement;
  var deck = document.getElementById('deck');
  var bar = document.querySelector('.deck-bar');
  if (!deck || !bar || !deck.querySelectorAll) return;
  var slides = deck.querySelectorAll('.slide');
  var count = bar.querySelector('.deck-count');
  var prev = bar.querySelector('.deck-prev'), next = bar.querySelector('.deck-next');
  var full = bar.querySelector('.deck-full'), save = bar.querySelector('.deck-save');
  var current = -1, idleTimer = 0;

  if (!/\bdeck-js\b/.test(root.className)) root.className += ' deck-js';
  bar.hidden = false;

  function fit() {
    var scale = Math.min(window.innerWidth / WIDTH, window.innerHeight / HEIGHT);
    var transform = 'scale(' + scale + ')';
    deck.style.webkitTransform = transform;
    deck.style.transform = transform;
  }

  // Text that overflows its slide is made smaller, step by step, down to SMALLEST of its size.
  function shrinkToFit() {
    var bodies = deck.querySelectorAll('.slide-body');
    for (var i = 0; i < bodies.length; i++) {
      var body = bodies[i];
      body.style.fontSize = '';
      var size = parseFloat(window.getComputedStyle(body).fontSize), factor = 1;
      while (body.scrollHeight > body.clientHeight + 1 && factor > SMALLEST) {
        factor -= 0.05;
        body.style.fontSize = (size * factor).toFixed(1) + 'px';
      }
    }
  }

  function show(index) {
    index = Math.max(0, Math.min(slides.length - 1, index));
    if (index === current) return;
    for (var i = 0; i < slides.length; i++) {
      slides[i].className = slides[i].className.replace(/\s*\bcurrent\b/g, '') + (i === index ? ' current' : '');
    }
    current = index;
    count.textContent = (index + 1) + ' / ' + slides.length;
    prev.disabled = index === 0;
    next.disabled = index === slides.length - 1;
    try {
      history.replaceState(null, '', '#' + (index + 1));
    } catch (e) { /* an old browser, or one that refuses it for file:// pages: the number is not kept */ }
  }

  function fromAddress() {
    var number = parseInt(location.hash.replace('#', '').replace('slide-', ''), 10);
    return number >= 1 && number <= slides.length ? number - 1 : 0;
  }

  // -- full screen --------------------------------------------------------------------------------

  function fullElement() {
    return document.fullscreenElement || document.webkitFullscreenElement || document.msFullscreenElement || null;
  }

  function toggleFull() {
    if (fullElement()) {
      var leave = document.exitFullscreen || document.webkitExitFullscreen || document.msExitFullscreen;
      if (leave) leave.call(document);
      return;
    }
    var enter = root.requestFullscreen || root.webkitRequestFullscreen || root.msRequestFullscreen;
    if (!enter) return;
    var result = enter.call(root);
    if (result && typeof result.then === 'function') result.then(null, function () { /* refused: stay as we are */ });
  }

  function fullChanged() {
    full.textContent = fullElement() ? '退出全屏' : '全屏';
  }

  if (root.requestFullscreen || root.webkitRequestFullscreen || root.msRequestFullscreen) {
    full.addEventListener('click', toggleFull);
    document.addEventListener('fullscreenchange', fullChanged);
    document.addEventListener('webkitfullscreenchange', fullChanged);
    document.addEventListener('MSFullscreenChange', fullChanged);
  } else {
    full.hidden = true;
    full.style.display = 'none';
  }

  // On the website, 保存到电脑 downloads this very file; opened from a disk, it is there already.
  if (save && /^https?:$/.test(location.protocol)) {
    save.href = location.href.split('#')[0];
    save.hidden = false;
  }

  // -- moving between slides ----------------------------------------------------------------------

  prev.addEventListener('click', function () { show(current - 1); });
  next.addEventListener('click', function () { show(current + 1); });

  var FORWARD = { ArrowRight: 1, ArrowDown: 1, PageDown: 1, ' ': 1, Spacebar: 1, Enter: 1, Right: 1, Down: 1 };
  var BACK = { ArrowLeft: 1, ArrowUp: 1, PageUp: 1, Backspace: 1, Left: 1, Up: 1 };
  var CODES = { 39: 'ArrowRight', 40: 'ArrowDown', 34: 'PageDown', 32: ' ', 13: 'Enter', 37: 'ArrowLeft',
                38: 'ArrowUp', 33: 'PageUp', 8: 'Backspace', 36: 'Home', 35: 'End', 70: 'f' };

  document.addEventListener('keydown', function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key || CODES[event.keyCode] || '';
    var onButton = event.target && event.target.tagName === 'BUTTON';
    if (onButton && (key === 'Enter' || key === ' ' || key === 'Spacebar')) return;  // the button's own
    if (FORWARD[key]) {
      show(event.shiftKey && (key === ' ' || key === 'Spacebar') ? current - 1 : current + 1);
    } else if (BACK[key]) {
      show(current - 1);
    } else if (key === 'Home') {
      show(0);
    } else if (key === 'End') {
      show(slides.length - 1);
    } else if (key === 'f' || key === 'F') {
      toggleFull();
    } else {
      return;
    }
    event.preventDefault();
  });

  deck.addEventListener('click', function (event) {
    var target = event.target;
    while (target && target !== deck) {
      if (target.tagName === 'A' || target.tagName === 'BUTTON') return;
      target = target.parentNode;
    }
    show(event.clientX < window.innerWidth / 3 ? current - 1 : current + 1);
  });

  var touchX = null, touchY = null;
  document.addEventListener('touchstart', function (event) {
    wake();
    if (event.touches.length !== 1) { touchX = null; return; }
    touchX = event.touches[0].clientX;
    touchY = event.touches[0].clientY;
  });
  document.addEventListener('touchend', function (event) {
    if (touchX === null || !event.changedTouches.length) return;
    var dx = event.changedTouches[0].clientX - touchX, dy = event.changedTouches[0].clientY - touchY;
    touchX = null;
    if (Math.abs(dx) > 50 && Math.abs(dx) > Math.abs(dy)) {
      show(dx < 0 ? current + 1 : current - 1);
      event.preventDefault();  // no click after a swipe
    }
  });

  // -- the controls fade while the mouse rests ---------------------------------------------------------

  function wake() {
    root.className = root.className.replace(/\s*\bdeck-idle\b/g, '');
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { root.className += ' deck-idle'; }, IDLE_MS);
  }

  document.addEventListener('mousemove', wake);
  window.addEventListener('resize', fit);
  window.addEventListener('hashchange', function () { show(fromAddress()); });
  window.addEventListener('load', shrinkToFit);

  fit();
  shrinkToFit();
  show(fromAddress());
  wake();
}());
