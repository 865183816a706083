/* 生成海报 on story pages: the story as a poster drawn in the reader's browser with the phone's own
 * fonts (cover, title, date, summary, site name, and the QR code the page already carries), shown
 * as an image to long-press in WeChat (保存图片, 发送给朋友). reader.js fetches this file on the
 * first press of the button; nothing is stored on the server for it.
 * ES5, no dependencies; the cover is on the site's own host, so the canvas may be read back. */
(function () {
  'use strict';

  var WIDTH = 1080, MARGIN = 72, QR = 300;
  var FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", ' +
             '"WenQuanYi Micro Hei", sans-serif';
  var PAPER = '#fffdf9', INK = '#1f1f1f', SOFT = '#4d4d4d', RED = '#b3121b';
  var CLOSING = '，。、；：？！）》」』】〉”’,.;:?!)%…·', OPENING = '（《「『【〈“‘(';

  // The QR code of the page, read from its SVG (zhuanlan/qr.py: one path of 1-unit horizontal
  // runs, "M x y.5 h w" then relative "m dx dy h w"): [side, runs of [x, y, width]].
  function qrRuns() {
    var svg = document.querySelector('.share-qr svg');
    var path = svg && svg.querySelector('path[stroke]');
    if (!path) return null;
    var side = parseFloat((svg.getAttribute('viewBox') || '').split(/[\s,]+/)[2]);
    var pattern = /([Mm])\s*(-?[\d.]+)[\s,]+(-?[\d.]+)\s*h\s*(-?[\d.]+)/g;
    var runs = [], x = 0, y = 0, match, d = path.getAttribute('d') || '';
    while ((match = pattern.exec(d))) {
      var dx = parseFloat(match[2]), dy = parseFloat(match[3]), width = parseFloat(match[4]);
      if (match[1] === 'M') { x = dx; y = dy; } else { x += dx; y += dy; }
      runs.push([x, Math.floor(y), width]);
      x += width;
    }
    return side > 0 && runs.length ? [side, runs] : null;
  }

  function drawQr(ctx, code, left, top, size) {
    var scale = Math.floor(size / code[0]), offset = (size - scale * code[0]) / 2;
    ctx.fillStyle = '#fff';
    ctx.fillRect(left, top, size, size);
    ctx.fillStyle = '#000';
    for (var i = 0; i < code[1].length; i++) {
      var run = code[1][i];
      ctx.fillRect(left + offset + run[0] * scale, top + offset + run[1] * scale, run[2] * scale, scale);
    }
  }

  // Lines no wider than `width`, no line starting with a closing mark; the last ends with … if cut.
  function wrap(ctx, text, width, most) {
    var lines = [], line = '';
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (line && ctx.measureText(line + ch).width > width) {
        var carry = '';
        if (CLOSING.indexOf(ch) >= 0) {  // take characters down with it, until the new line may start so
          while (line.length > 1 && (!carry || CLOSING.indexOf(carry.charAt(0)) >= 0)) {
            carry = line.slice(-1) + carry;
            line = line.slice(0, -1);
          }
        }
        while (line.length > 1 && OPENING.indexOf(line.slice(-1)) >= 0) { carry = line.slice(-1) + carry; line = line.slice(0, -1); }
        lines.push(line);
        line = carry;
      }
      line += ch;
    }
    if (line) lines.push(line);
    if (lines.length > most) {
      var last = lines[most - 1];
      while (last && ctx.measureText(last + '…').width > width) last = last.slice(0, -1);
      lines = lines.slice(0, most - 1).concat([last + '…']);
    }
    return lines;
  }

  function colour() {
    if (document.documentElement.getAttribute('data-contrast') === 'high') return RED;
    var value = window.getComputedStyle ? getComputedStyle(document.documentElement).getPropertyValue('--red') : '';
    value = (value || '').replace(/\s/g, '');
    return /^#[0-9a-fA-F]{3,6}$/.test(value) ? value : RED;
  }

  function font(size, bold) {
    return (bold ? 'bold ' : '') + size + 'px ' + FONT;
  }

  // Two passes: measure the text to know the height, then draw (resizing a canvas clears it).
  function draw(button, cover) {
    var canvas = document.createElement('canvas');
    var ctx = canvas.getContext('2d');
    var data = function (name) { return button.getAttribute('data-' + name) || ''; };
    var inner = WIDTH - 2 * MARGIN, red = colour(), code = qrRuns();
    var top = cover ? Math.round(WIDTH * 9 / 16) : 220;
    canvas.width = WIDTH;
    ctx.font = font(60, true);
    var title = wrap(ctx, data('title'), inner, 3);
    ctx.font = font(38);
    var summary = data('summary') ? wrap(ctx, data('summary'), inner, 5) : [];
    var height = top + 64 + title.length * 81 + 24 + 48 + 20 + summary.length * 61 + 48 + (code ? QR + 96 : 0) + 40;
    canvas.height = height;

    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, WIDTH, height);
    ctx.textBaseline = 'top';
    if (cover) {  // the cover filling a 16:9 box, cropped at its centre
      var ratio = Math.max(WIDTH / cover.naturalWidth, top / cover.naturalHeight);
      var w = WIDTH / ratio, h = top / ratio;
      ctx.drawImage(cover, (cover.naturalWidth - w) / 2, (cover.naturalHeight - h) / 2, w, h, 0, 0, WIDTH, top);
    } else {
      ctx.fillStyle = red;
      ctx.fillRect(0, 0, WIDTH, top);
      ctx.fillStyle = '#fff';
      ctx.font = font(52, true);
      ctx.textAlign = 'center';
      ctx.fillText(wrap(ctx, data('site'), inner, 1)[0] || '', WIDTH / 2, top / 2 - 36);
      ctx.textAlign = 'left';
    }
    var y = top + 64;
    ctx.fillStyle = INK;
    ctx.font = font(60, true);
    for (var i = 0; i < title.length; i++) { ctx.fillText(title[i], MARGIN, y); y += 81; }
    y += 24;
    ctx.fillStyle = red;
    ctx.font = font(34, true);
    ctx.fillText(data('date'), MARGIN, y);
    y += 48 + 20;
    ctx.fillStyle = SOFT;
    ctx.font = font(38);
    for (i = 0; i < summary.length; i++) { ctx.fillText(summary[i], MARGIN, y); y += 61; }
    y += 48;
    if (code) {
      ctx.fillStyle = '#e3dcd2';
      ctx.fillRect(MARGIN, y, inner, 2);
      y += 48;
      drawQr(ctx, code, MARGIN, y, QR);
      var x = MARGIN + QR + 40, width = WIDTH - MARGIN - x;
      ctx.fillStyle = INK;
      ctx.font = font(46, true);
      ctx.fillText('长按识别二维码', x, y + 56);
      ctx.fillStyle = SOFT;
      ctx.font = font(34);
      ctx.fillText('阅读全文', x, y + 128);
      ctx.font = font(30);
      var site = wrap(ctx, data('site'), width, 2);
      for (i = 0; i < site.length; i++) ctx.fillText(site[i], x, y + 196 + i * 44);
      y += QR + 48;
    }
    ctx.fillStyle = red;
    ctx.fillRect(0, height - 16, WIDTH, 16);
    return canvas;
  }

  function show(button, url) {
    var tools = button.parentNode;
    var panel = document.querySelector('.poster-panel');
    if (!panel) {
      panel = document.createElement('div');
      panel.className = 'poster-panel';
      panel.setAttribute('role', 'group');
      panel.setAttribute('aria-label', '文章海报');
      panel.innerHTML = '<p class="poster-hint" tabindex="-1">长按图片保存或发送给朋友</p>' +
                        '<img class="poster-image" alt=""><button type="button" class="tool poster-close">关闭海报</button>';
      tools.parentNode.insertBefore(panel, tools.nextSibling);
      panel.querySelector('.poster-close').addEventListener('click', function () {
        panel.hidden = true;
        button.focus();
      });
    }
    var image = panel.querySelector('.poster-image');
    image.src = url;
    image.alt = '文章海报：' + button.getAttribute('data-title');
    panel.hidden = false;
    panel.querySelector('.poster-hint').focus();
    if (panel.scrollIntoView) panel.scrollIntoView();
  }

  function finish(button, canvas) {
    var url = '';
    try {
      url = canvas.toDataURL('image/jpeg', 0.92);
    } catch (e) {  // a cover the browser will not let us read back: the poster without it
      url = draw(button, null).toDataURL('image/jpeg', 0.92);
    }
    button.disabled = false;
    button.textContent = '生成海报';
    show(button, url);
    var status = document.getElementById('tool-status');
    if (status) status.textContent = '海报已生成：长按图片保存或发送给朋友';
  }

  window.zhuanlanPoster = function (button) {
    var canvas = document.createElement('canvas');
    if (!canvas.getContext) return;
    button.disabled = true;
    button.textContent = '正在生成…';
    var source = button.getAttribute('data-cover');
    if (!source) { finish(button, draw(button, null)); return; }
    var cover = new Image();
    cover.onload = function () { finish(button, draw(button, cover.naturalWidth ? cover : null)); };
    cover.onerror = function () { finish(button, draw(button, null)); };
    cover.src = source;
  };
}());
