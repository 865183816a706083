/* 阅读辅助: font size 大/中/小 and high contrast on every page (kept in localStorage; applied
 * before first paint by the script in <head>); the header's folded menu, search and settings on
 * phones; read aloud, print, copy link and 生成海报 on story pages.
 * ES5, no dependencies (WeChat's browser); pages read fine without it. */
(function () {
  'use strict';

  var root = document.documentElement;
  var FONT_KEY = 'zl-font', CONTRAST_KEY = 'zl-contrast';
  var FONTS = { small: 1, medium: 1, large: 1 };

  function remember(key, value) {
    try {
      if (value) localStorage.setItem(key, value); else localStorage.removeItem(key);
    } catch (e) { /* storage blocked: the setting lasts for this page */ }
  }

  function each(selector, fn) {
    var nodes = document.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) fn(nodes[i]);
  }

  // -- font size and contrast ------------------------------------------------------------------

  function currentFont() {
    var value = root.getAttribute('data-font');
    return FONTS[value] ? value : 'medium';
  }

  function showPrefs() {
    var font = currentFont(), high = root.getAttribute('data-contrast') === 'high';
    each('.pref-font', function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-font-choice') === font));
    });
    each('.pref-contrast', function (button) { button.setAttribute('aria-pressed', String(high)); });
  }

  function setFont(choice) {
    if (!FONTS[choice]) return;
    if (choice === 'medium') root.removeAttribute('data-font'); else root.setAttribute('data-font', choice);
    remember(FONT_KEY, choice === 'medium' ? '' : choice);
    showPrefs();
  }

  function toggleContrast() {
    var high = root.getAttribute('data-contrast') !== 'high';
    if (high) root.setAttribute('data-contrast', 'high'); else root.removeAttribute('data-contrast');
    remember(CONTRAST_KEY, high ? 'high' : '');
    showPrefs();
  }

  each('.pref-font', function (button) {
    button.addEventListener('click', function () { setFont(button.getAttribute('data-font-choice')); });
  });
  each('.pref-contrast', function (button) { button.addEventListener('click', toggleContrast); });
  showPrefs();

  // -- the header's folded parts (phones) --------------------------------------------------------
  // 菜单, 搜索 and 阅读设置 each open their part of the header under the buttons, one at a time;
  // Escape closes it. (On wide screens CSS shows every part and hides the buttons.)

  var folds = [];

  function setOpen(fold, open) {
    fold.button.setAttribute('aria-expanded', String(open));
    fold.panel.className = fold.panel.className.replace(/\s*\bopen\b/g, '') + (open ? ' open' : '');
  }

  each('.header-tool', function (button) {
    var target = button.getAttribute('data-focus');
    if (target) { // the page has its own search box: go there
      button.addEventListener('click', function () {
        var field = document.getElementById(target);
        if (field) field.focus();
      });
      return;
    }
    var panel = document.getElementById(button.getAttribute('aria-controls'));
    if (!panel) return;
    var fold = { button: button, panel: panel };
    folds.push(fold);
    button.addEventListener('click', function () {
      var opening = button.getAttribute('aria-expanded') !== 'true';
      for (var i = 0; i < folds.length; i++) setOpen(folds[i], opening && folds[i] === fold);
      var field = opening && panel.querySelector('input');
      if (field) field.focus(); // the search box: the keyboard comes up at once
    });
  });

  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape' && event.keyCode !== 27) return;
    for (var i = 0; i < folds.length; i++) {
      if (folds[i].button.getAttribute('aria-expanded') === 'true') {
        setOpen(folds[i], false);
        folds[i].button.focus();
      }
    }
  });

  // -- story tools ------------------------------------------------------------------------------

  var status = document.getElementById('tool-status');

  function say(text) {
    if (!status) return;
    status.textContent = '';
    // set a moment later, so that a repeated message is announced again
    setTimeout(function () { status.textContent = text; }, 30);
  }

  each('.print-page', function (button) {
    if (typeof window.print !== 'function') { button.hidden = true; return; }
    button.addEventListener('click', function () { window.print(); });
  });

  each('.copy-link', function (button) {
    button.addEventListener('click', function () {
      var url = button.getAttribute('data-url') || location.href;
      var copied = function () { say('链接已复制，可以粘贴到微信、短信里发给别人'); };
      var fallback = function () { if (copyBySelection(url, button)) copied(); else showForCopying(url); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(url).then(copied, fallback);
      } else {
        fallback();
      }
    });
  });

  // without the Clipboard API (older in-app browsers): copy from a selected hidden text box
  function copyBySelection(text, button) {
    var box = document.createElement('textarea');
    box.value = text;
    box.setAttribute('readonly', '');
    box.style.position = 'fixed';
    box.style.top = '0';
    box.style.left = '-9999px';
    document.body.appendChild(box);
    box.select();
    box.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(box);
    button.focus();
    return ok;
  }

  // copying not allowed at all: show the address, selected, to copy by hand
  function showForCopying(url) {
    var field = document.querySelector('.copy-fallback');
    if (!field) {
      field = document.createElement('input');
      field.className = 'copy-fallback';
      field.setAttribute('readonly', '');
      field.setAttribute('aria-label', '本文网址');
      status.parentNode.appendChild(field);
    }
    field.value = url;
    field.focus();
    field.select();
    say('无法自动复制：请长按上面的网址，选择“复制”');
  }

  // 生成海报: poster.js draws it, fetched on the first press so that no page pays for it before
  each('.make-poster', function (button) {
    button.addEventListener('click', function () {
      if (window.zhuanlanPoster) { window.zhuanlanPoster(button); return; }
      var script = document.createElement('script');
      script.src = button.getAttribute('data-script');
      script.onload = function () { if (window.zhuanlanPoster) window.zhuanlanPoster(button); };
      script.onerror = function () { say('海报没有生成：网络不通，请稍后再试'); };
      document.head.appendChild(script);
    });
  });

  // -- read aloud -------------------------------------------------------------------------------

  var aloud = document.querySelector('.read-aloud');
  var synth = window.speechSynthesis, Utterance = window.SpeechSynthesisUtterance;
  if (aloud && synth && typeof synth.speak === 'function' && typeof Utterance === 'function') {
    readAloud(aloud, synth, Utterance);
  } else {
    root.className = root.className.replace(/\bspeech\b/, ''); // shown by <head>, but cannot work
  }

  function readAloud(box, synth, Utterance) {
    var toggle = box.querySelector('.read-toggle'), stop = box.querySelector('.read-stop');
    var state = 'idle', chunks = [], at = 0, current = null, lit = null;
    var LABELS = { idle: '朗读全文', speaking: '暂停朗读', paused: '继续朗读' };

    function show() {
      toggle.textContent = LABELS[state];
      stop.hidden = state === 'idle';
      if (lit && state === 'idle') { lit.classList.remove('reading-now'); lit = null; }
    }

    // a Chinese voice, best one of the device's own (others send the text to a server), else none
    // (the browser picks one for lang zh-CN)
    function voice() {
      var voices = typeof synth.getVoices === 'function' ? synth.getVoices() || [] : [], best = null, score = 0;
      for (var i = 0; i < voices.length; i++) {
        var lang = String(voices[i].lang || '').replace('_', '-').toLowerCase();
        var points = (lang === 'zh-cn' ? 2 : lang.indexOf('zh') === 0 ? 1 : 0) * (voices[i].localService === false ? 1 : 3);
        if (points > score) { best = voices[i]; score = points; }
      }
      return best;
    }

    // the story in short pieces, each with its block (highlighted while read): long utterances
    // stall some speech engines
    function collect() {
      var out = [];
      each('.story-heading, .story-body p, .story-body h2, .story-body h3, .story-body h4, ' +
           '.story-body li, .story-body figcaption, .story-body th, .story-body td', function (block) {
        if (block.querySelector('p')) return; // its paragraphs are read on their own
        var own = block;
        if (block.querySelector('ul, ol')) { // a nested list's items are read on their own
          own = block.cloneNode(true);
          var lists = own.querySelectorAll('ul, ol');
          for (var n = 0; n < lists.length; n++) lists[n].parentNode.removeChild(lists[n]);
        }
        var text = (own.textContent || '').replace(/\s+/g, ' ').replace(/^\s+|\s+$/g, '');
        if (!text) return;
        var pieces = text.match(/[^。！？!?；;]+[。！？!?；;]*[”’」』）)]*/g) || [text];
        var piece = '';
        for (var i = 0; i < pieces.length; i++) {
          if (piece && piece.length + pieces[i].length > 120) { out.push({ text: piece, block: block }); piece = ''; }
          piece += pieces[i];
        }
        if (piece) out.push({ text: piece, block: block });
      });
      return out;
    }

    function speakCurrent() {
      if (at >= chunks.length) { finish('朗读完毕'); return; }
      var chunk = chunks[at], utterance = new Utterance(chunk.text), chosen = voice();
      utterance.lang = 'zh-CN';
      if (chosen) utterance.voice = chosen;
      utterance.onend = function () {
        // ignore stale ends and ends while paused (on some phones pause() drops the utterance;
        // continuing then speaks this piece again)
        if (current !== utterance || state !== 'speaking') return;
        at += 1;
        speakCurrent();
      };
      utterance.onerror = function (event) {
        var error = event && event.error;
        if (current !== utterance || state !== 'speaking' || error === 'interrupted' || error === 'canceled') return;
        finish('这个浏览器暂时无法朗读（' + (error || '没有可用的语音') + '）');
      };
      current = utterance;
      if (lit !== chunk.block) {
        if (lit) lit.classList.remove('reading-now');
        lit = chunk.block;
        lit.classList.add('reading-now');
      }
      synth.speak(utterance);
      setTimeout(function () {
        if (current === utterance && state === 'speaking' && !synth.speaking && !synth.pending) {
          finish('这个浏览器没有可用的朗读语音');
        }
      }, 4000);
    }

    function finish(message) {
      state = 'idle';
      current = null;
      show();
      if (message) say(message);
    }

    toggle.addEventListener('click', function () {
      if (state === 'idle') {
        chunks = collect();
        at = 0;
        synth.cancel(); // whatever another page left queued
        if (synth.paused) synth.resume(); // a pause is global to the browser, not to the page
        state = 'speaking';
        show();
        speakCurrent();
      } else if (state === 'speaking') {
        state = 'paused';
        show();
        synth.pause();
      } else {
        state = 'speaking';
        show();
        if (synth.speaking || synth.paused) synth.resume(); else speakCurrent();
      }
    });

    stop.addEventListener('click', function () {
      finish('');
      synth.cancel();
      toggle.focus();
    });

    window.addEventListener('pagehide', function () { if (state !== 'idle') { finish(''); synth.cancel(); } });
    show();
  }
})();
