/* 站内搜索 — zhuanlan's site search. A classic script in ES5 (no modules, no WASM, no
 * Intl.Segmenter) so that it runs in WeChat's in-app browser. It reads the static index that
 * zhuanlan/searchindex.py writes to search/ and finds every story whose normalised title or text
 * contains the normalised query; docs/搜索.md explains the index. In Node it exports its core
 * (normalisation, tokens, the query algorithm) for tests. */
(function (global) {
  'use strict';

  // Same lists as DROP_RANGES and PUNCT_RANGES in zhuanlan/search/normalization.py.
  var DROP = [[0x0, 0x20], [0x7F, 0xA0], [0xAD, 0xAD], [0x600, 0x605], [0x61C, 0x61C], [0x6DD, 0x6DD],
    [0x70F, 0x70F], [0x890, 0x891], [0x8E2, 0x8E2], [0x1680, 0x1680], [0x180E, 0x180E], [0x2000, 0x200F],
    [0x2028, 0x202F], [0x205F, 0x2064], [0x2066, 0x206F], [0x3000, 0x3000], [0xD800, 0xDFFF], [0xFEFF, 0xFEFF],
    [0xFFF9, 0xFFFB], [0x110BD, 0x110BD], [0x110CD, 0x110CD], [0x13430, 0x13438], [0x1BCA0, 0x1BCA3],
    [0x1D173, 0x1D17A], [0xE0001, 0xE0001], [0xE0020, 0xE007F]];
  var PUNCT = [[0x21, 0x2F], [0x3A, 0x40], [0x5B, 0x60], [0x7B, 0x7E], [0xA1, 0xBF], [0xD7, 0xD7], [0xF7, 0xF7],
    [0x2010, 0x2027], [0x2030, 0x205E], [0x3001, 0x3003], [0x3008, 0x3011], [0x3014, 0x301F], [0x30FB, 0x30FB],
    [0xFE10, 0xFE19], [0xFE30, 0xFE6B], [0xFF01, 0xFF0F], [0xFF1A, 0xFF20], [0xFF3B, 0xFF40], [0xFF5B, 0xFF65]];
  var LONG_QUERY = 16, SAMPLED = 8;

  function inRanges(cp, ranges) {
    for (var i = 0; i < ranges.length; i++) {
      if (cp >= ranges[i][0] && cp <= ranges[i][1]) return true;
    }
    return false;
  }

  // Code points of s as [code point, start, end] (UTF-16 indexes); a lone surrogate is its own.
  function codePoints(s) {
    var out = [], i = 0, n = s.length;
    while (i < n) {
      var c = s.charCodeAt(i), d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c >= 0xD800 && c <= 0xDBFF && d >= 0xDC00 && d <= 0xDFFF) {
        out.push([(c - 0xD800) * 0x400 + d - 0xDC00 + 0x10000, i, i + 2]);
        i += 2;
      } else {
        out.push([c, i, i + 1]);
        i += 1;
      }
    }
    return out;
  }

  function fromCodePoint(cp) {
    if (cp < 0x10000) return String.fromCharCode(cp);
    cp -= 0x10000;
    return String.fromCharCode(0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
  }

  var nfkc = String.prototype.normalize ? function (s) { return s.normalize('NFKC'); } : function (s) { return s; };

  // NFKC and lower case of one code point, before traditional → simplified folding.
  var preCache = {};
  function pre(cp) {
    var hit = preCache[cp];
    if (hit === undefined) hit = preCache[cp] = nfkc(fromCodePoint(cp)).toLowerCase();
    return hit;
  }

  function foldPoint(cp, table) {
    var pieces = codePoints(pre(cp)), out = '';
    for (var i = 0; i < pieces.length; i++) {
      if (inRanges(pieces[i][0], DROP)) continue;
      var ch = fromCodePoint(pieces[i][0]);
      out += table && table.hasOwnProperty(ch) ? table[ch] : ch;
    }
    return out;
  }

  // The normalised text, and for each of its units the original [start, end) it came from.
  function normalizeMapped(text, table) {
    var points = codePoints(text), s = '', start = [], end = [];
    for (var i = 0; i < points.length; i++) {
      var piece = foldPoint(points[i][0], table);
      for (var j = 0; j < piece.length; j++) {
        start.push(points[i][1]);
        end.push(points[i][2]);
      }
      s += piece;
    }
    return {text: s, start: start, end: end};
  }

  function normalize(text, table) {
    var points = codePoints(text), s = '';
    for (var i = 0; i < points.length; i++) s += foldPoint(points[i][0], table);
    return s;
  }

  function searchable(normalized) {
    var points = codePoints(normalized);
    for (var i = 0; i < points.length; i++) {
      if (!inRanges(points[i][0], PUNCT)) return true;
    }
    return false;
  }

  function units(s) {
    var out = [];
    for (var i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
    return out;
  }

  var imul = Math.imul || function (a, b) {
    var ah = (a >>> 16) & 0xFFFF, al = a & 0xFFFF, bh = (b >>> 16) & 0xFFFF, bl = b & 0xFFFF;
    return (al * bl + (((ah * bl + al * bh) << 16) >>> 0)) | 0;
  };

  function shardHash(us) {
    var h = 0x811C9DC5;
    for (var i = 0; i < us.length; i++) h = imul(h ^ us[i], 0x01000193) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = imul(h, 0x2C1B3C6D) >>> 0;
    return (h ^ (h >>> 12)) >>> 0;
  }

  // What the index makes of a text; must equal zhuanlan.search.reader.tokens (the parity test).
  function tokens(text, table) {
    var u = units(normalize(text, table)), ext = u.concat([0]), out = {units: u, uni: [], bi: [], quad: [], hash: []};
    for (var i = 0; i < u.length; i++) {
      out.uni.push([u[i]]);
      if (i + 1 < u.length) out.bi.push(u.slice(i, i + 2));
      if (i + 2 < u.length) out.quad.push(ext.slice(i, i + 4));
      out.hash.push([shardHash(u.slice(i, i + 1)), shardHash(u.slice(i, i + 2)), shardHash(u.slice(i, i + 3))]);
    }
    return out;
  }

  function occurrences(text, part) {
    var count = 0, at = text.indexOf(part);
    while (at >= 0) {
      count++;
      at = text.indexOf(part, at + 1);
    }
    return count;
  }

  // -- index shards ---------------------------------------------------------------------------
  // u32 key count, keys (width × u16), u32 end offsets (top bit: dense), then each key's postings:
  // sparse, (doc gap, value) LEB128 pairs; dense, LEB128 first doc, LEB128 bitmap length B, B bytes
  // of bitmap (bit i set: doc first + i), a nibble per set bit (value − 2, or 15: the value follows
  // the nibbles as LEB128). See search.encode_shards.
  function Shard(buffer, width) {
    this.view = new DataView(buffer);
    this.bytes = new Uint8Array(buffer);
    this.width = width;
    var count = buffer.byteLength >= 4 ? this.view.getUint32(0, true) : 0;
    // a host that answers a missing file with a page of its own must not be read as postings
    this.count = 4 + count * (width * 2 + 4) <= buffer.byteLength ? count : 0;
    this.ends = 4 + this.count * width * 2;
    this.base = this.ends + this.count * 4;
    this.pos = 0;
  }
  Shard.prototype.compare = function (index, key) { // key: units, maybe shorter than width (a prefix)
    for (var j = 0; j < key.length; j++) {
      var unit = this.view.getUint16(4 + (index * this.width + j) * 2, true);
      if (unit !== key[j]) return unit < key[j] ? -1 : 1;
    }
    return 0;
  };
  Shard.prototype.end = function (index) {
    return this.view.getUint32(this.ends + index * 4, true) % 0x80000000;
  };
  Shard.prototype.varint = function () {
    var value = 0, shift = 1, b;
    do {
      b = this.bytes[this.pos++];
      value += (b & 0x7F) * shift;
      shift *= 128;
    } while (b & 0x80);
    return value;
  };
  // Postings of every key that starts with `key`, merged: {doc: count·2 + title flag}.
  Shard.prototype.find = function (key) {
    var low = 0, high = this.count, result = {};
    while (low < high) {
      var mid = (low + high) >> 1;
      if (this.compare(mid, key) < 0) low = mid + 1; else high = mid;
    }
    function add(doc, value) {
      var old = result[doc] || 0;
      result[doc] = (((old >> 1) + (value >> 1)) << 1) | (old & 1) | (value & 1);
    }
    for (var i = low; i < this.count && this.compare(i, key) === 0; i++) {
      var end = this.base + this.end(i), doc = 0;
      this.pos = this.base + (i ? this.end(i - 1) : 0);
      if (this.view.getUint32(this.ends + i * 4, true) >= 0x80000000) {
        var first = this.varint(), size = this.varint(), bitmap = this.pos, held = 0, byte, bits, bit;
        for (byte = 0; byte < size; byte++) {
          for (bits = this.bytes[bitmap + byte]; bits; bits &= bits - 1) held++;
        }
        var nibbles = bitmap + size, j = 0;
        this.pos = nibbles + ((held + 1) >> 1); // values of 17 and more, in order
        for (byte = 0; byte < size; byte++) {
          bits = this.bytes[bitmap + byte];
          for (bit = 0; bits; bit++, bits >>= 1) {
            if (!(bits & 1)) continue;
            var nibble = (this.bytes[nibbles + (j >> 1)] >> ((j & 1) * 4)) & 15;
            add(first + byte * 8 + bit, nibble < 15 ? nibble + 2 : this.varint());
            j++;
          }
        }
      } else {
        while (this.pos < end) {
          doc += this.varint();
          add(doc, this.varint());
        }
      }
    }
    return result;
  };

  // A result record (d/<doc>.bin): JSON in UTF-16LE.
  function decodeRecord(buffer) {
    var view = new DataView(buffer), units = [], parts = [];
    for (var i = 0; i + 1 < buffer.byteLength; i += 2) {
      units.push(view.getUint16(i, true));
      if (units.length === 4096) {
        parts.push(String.fromCharCode.apply(null, units));
        units = [];
      }
    }
    parts.push(String.fromCharCode.apply(null, units));
    return JSON.parse(parts.join(''));
  }

  // Calls back once every task has called back; tasks are functions(done(err)).
  function all(tasks, callback) {
    var left = tasks.length, failed = false;
    if (!left) return callback(null);
    for (var i = 0; i < tasks.length; i++) {
      tasks[i](function (err) {
        if (failed) return;
        if (err) { failed = true; return callback(err); }
        if (--left === 0) callback(null);
      });
    }
  }

  // -- the searcher: load(path, 'json' | 'bin', callback(err, value)) reads files under search/ --
  function Searcher(load) {
    this.load = load;
    this.cache = {};
    this.waiting = {};
    this.fold = {};
    this.meta = null;
  }

  Searcher.prototype.get = function (path, kind, callback) {
    var self = this, key = kind + ':' + path;
    if (self.cache.hasOwnProperty(key)) return callback(null, self.cache[key]);
    if (self.waiting[key]) return self.waiting[key].push(callback);
    self.waiting[key] = [callback];
    var url = self.meta ? path + '?v=' + self.meta.version : path;
    self.load(url, kind, function (err, value) {
      var callbacks = self.waiting[key];
      delete self.waiting[key];
      if (!err) self.cache[key] = value;
      for (var i = 0; i < callbacks.length; i++) callbacks[i](err, value);
    });
  };

  Searcher.prototype.init = function (callback) {
    var self = this;
    if (self.meta) return callback(null);
    self.load('meta.json?t=' + new Date().getTime(), 'json', function (err, meta) {
      if (err) return callback(err);
      self.meta = meta;
      callback(null);
    });
  };

  // Normalise a query, first loading the traditional → simplified table parts it needs.
  Searcher.prototype.normalizeQuery = function (text, callback) {
    var self = this, needed = {}, tasks = [], points = codePoints(text), known = {};
    for (var k = 0; k < self.meta.fold.length; k++) known[self.meta.fold[k]] = true;
    for (var i = 0; i < points.length; i++) {
      var pieces = codePoints(pre(points[i][0]));
      for (var j = 0; j < pieces.length; j++) {
        var bucket = Math.floor(pieces[j][0] / 256);
        if (known[bucket] && !needed[bucket]) {
          needed[bucket] = true;
          tasks.push(self.foldTask(bucket));
        }
      }
    }
    all(tasks, function (err) {
      callback(err, err ? null : normalize(text, self.fold));
    });
  };

  Searcher.prototype.foldTask = function (bucket) {
    var self = this;
    return function (done) {
      self.get('fold/' + bucket + '.json', 'json', function (err, table) {
        if (!err) for (var ch in table) if (table.hasOwnProperty(ch)) self.fold[ch] = table[ch];
        done(err);
      });
    };
  };

  // Postings of a gram: 1 or 2 units, 4 units, or (prefix) every 4-gram starting with 3 units.
  Searcher.prototype.gram = function (key, callback) {
    var level = key.length >= 3 ? 2 : key.length - 1, width = [1, 2, 4][level];
    var folder = ['i1', 'i2', 'i4'][level], hashed = key.slice(0, [1, 2, 3][level]);
    var number = shardHash(hashed) % this.meta.shards[level];
    this.get(folder + '/' + number + '.bin', 'bin', function (err, buffer) {
      if (err && err.missing) return callback(null, {}); // no story has a gram in that shard
      if (err) return callback(err);
      if (!buffer.shard) buffer.shard = new Shard(buffer, width);
      callback(null, buffer.shard.find(key));
    });
  };

  Searcher.prototype.record = function (doc, callback) {
    this.get('d/' + doc + '.bin', 'bin', function (err, buffer) {
      if (err) return callback(err);
      if (!buffer.record) {
        try { buffer.record = decodeRecord(buffer); } catch (e) { return callback(e); }
      }
      callback(null, buffer.record);
    });
  };

  Searcher.prototype.records = function (docs, callback) {
    var self = this, out = [];
    all(docs.map(function (doc, i) {
      return function (done) {
        self.record(doc, function (err, record) { out[i] = record; done(err); });
      };
    }), function (err) { callback(err, out); });
  };

  // callback(err, {state: 'empty' | 'punct' | 'ok', normalized, hits: [{doc, count, title}]}),
  // hits ranked: title matches first, then more occurrences, then newer (documents are numbered
  // oldest first, so the higher number).
  Searcher.prototype.search = function (text, callback) {
    var self = this;
    self.init(function (err) {
      if (err) return callback(err);
      self.normalizeQuery(text, function (err, normalized) {
        if (err) return callback(err);
        if (!normalized) return callback(null, {state: 'empty', normalized: '', hits: []});
        if (!searchable(normalized)) return callback(null, {state: 'punct', normalized: normalized, hits: []});
        var us = units(normalized);
        var finish = function (err, hits) {
          if (err) return callback(err);
          hits.sort(function (a, b) {
            return (b.title - a.title) || (b.count - a.count) || (b.doc - a.doc);
          });
          callback(null, {state: 'ok', normalized: normalized, hits: hits});
        };
        if (us.length <= 4) {
          self.gram(us, function (err, postings) {
            if (err) return finish(err);
            var hits = [];
            for (var doc in postings) {
              if (postings.hasOwnProperty(doc)) {
                hits.push({doc: +doc, count: postings[doc] >> 1, title: postings[doc] & 1});
              }
            }
            finish(null, hits);
          });
        } else {
          self.longQuery(normalized, us, finish);
        }
      });
    });
  };

  // Every 4-gram must be there; count ≥ n(G0) − Σk (n(Tk) − n(Gk)) proves most stories contain
  // the query; the rest, possible title matches, and all candidates of queries longer than
  // LONG_QUERY units (which read a sample of their 4-grams) are checked against their text.
  Searcher.prototype.longQuery = function (normalized, us, callback) {
    var self = this, n = us.length, chained = n <= LONG_QUERY, starts = [], i, k;
    if (chained) {
      for (i = 0; i + 3 < n; i++) starts.push(i);
    } else {
      for (i = 0; i < SAMPLED; i++) {
        var at = Math.round(i * (n - 4) / (SAMPLED - 1));
        if (starts[starts.length - 1] !== at) starts.push(at);
      }
    }
    var quads = [], triples = [], tasks = [];
    starts.forEach(function (start, index) {
      tasks.push(function (done) {
        self.gram(us.slice(start, start + 4), function (err, p) { quads[index] = p; done(err); });
      });
      if (chained && index > 0) {
        tasks.push(function (done) {
          self.gram(us.slice(start, start + 3), function (err, p) { triples[index] = p; done(err); });
        });
      }
    });
    all(tasks, function (err) {
      if (err) return callback(err);
      var hits = [], check = [];
      for (var doc in quads[0]) {
        if (!quads[0].hasOwnProperty(doc)) continue;
        var present = true, title = true;
        for (k = 0; k < quads.length; k++) {
          if (!quads[k].hasOwnProperty(doc)) { present = false; break; }
          if (!(quads[k][doc] & 1)) title = false;
        }
        if (!present) continue;
        if (chained && !title) {
          var low = quads[0][doc] >> 1;
          for (k = 1; k < quads.length; k++) low -= (triples[k][doc] >> 1) - (quads[k][doc] >> 1);
          if (low >= 1) { hits.push({doc: +doc, count: low, title: 0}); continue; }
        }
        check.push(+doc);
      }
      self.records(check, function (err, records) {
        if (err) return callback(err);
        for (var r = 0; r < records.length; r++) {
          var t = normalize(records[r].t, records[r].f), x = normalize(records[r].x, records[r].f);
          var count = occurrences(t, normalized) + occurrences(x, normalized);
          if (count) hits.push({doc: check[r], count: count, title: t.indexOf(normalized) >= 0 ? 1 : 0});
        }
        callback(null, hits);
      });
    });
  };

  var core = {normalize: normalize, normalizeMapped: normalizeMapped, tokens: tokens, searchable: searchable,
    shardHash: shardHash, Searcher: Searcher, Shard: Shard, DROP: DROP, PUNCT: PUNCT};

  if (typeof module === 'object' && module.exports) {
    module.exports = core;
    return;
  }
  if (typeof document === 'undefined') return;

  // -- the /search/ page ----------------------------------------------------------------------
  function xhrLoad(root) {
    return function (path, kind, callback) {
      var xhr = new XMLHttpRequest();
      xhr.open('GET', root + path, true);
      if (kind === 'bin') xhr.responseType = 'arraybuffer';
      xhr.onload = function () {
        if (xhr.status === 404) return callback({missing: true});
        if (xhr.status < 200 || xhr.status >= 300) return callback({status: xhr.status});
        if (kind === 'bin') return callback(null, xhr.response);
        var value;
        try { value = JSON.parse(xhr.responseText); } catch (e) { return callback(e); }
        callback(null, value);
      };
      xhr.onerror = function () { callback({network: true}); };
      xhr.send();
    };
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.appendChild(document.createTextNode(text));
    return node;
  }

  // Appends `text` to `node`, each occurrence of the normalised query wrapped in <mark>.
  function highlighted(node, text, query, table) {
    var mapped = normalizeMapped(text, table), at = 0, from = 0;
    while (query && (at = mapped.text.indexOf(query, from)) >= 0) {
      var start = mapped.start[at], end = mapped.end[at + query.length - 1];
      var before = text.slice(from ? mapped.end[from - 1] : 0, start);
      if (before) node.appendChild(document.createTextNode(before));
      node.appendChild(el('mark', '', text.slice(start, end)));
      from = at + query.length;
    }
    var rest = from ? mapped.end[from - 1] : 0;
    if (rest < text.length) node.appendChild(document.createTextNode(text.slice(rest)));
    return node;
  }

  // About 90 characters of the text around the first match, with ellipses where cut.
  function excerpt(text, query, table) {
    var mapped = normalizeMapped(text, table), at = query ? mapped.text.indexOf(query) : -1;
    var start = 0;
    if (at >= 0) start = Math.max(0, mapped.start[at] - 24);
    var end = Math.min(text.length, start + 90);
    if (end - start < 90) start = Math.max(0, end - 90);
    if (/[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--; // do not cut a character in two
    if (/[\uDC00-\uDFFF]/.test(text.charAt(start))) start++;
    var piece = text.slice(start, end);
    return (start > 0 ? '…' : '') + piece + (end < text.length ? '…' : '');
  }

  function param(name) {
    var parts = (location.search || '').replace(/^\?/, '').split('&');
    for (var i = 0; i < parts.length; i++) {
      var pair = parts[i].split('=');
      if (pair[0] === name) {
        try { return decodeURIComponent((pair[1] || '').replace(/\+/g, ' ')); } catch (e) { return ''; }
      }
    }
    return '';
  }

  function start() {
    var input = document.getElementById('search-input');
    var status = document.getElementById('search-status');
    var list = document.getElementById('search-results');
    if (!input || !status || !list) return;
    var form = input.form, root = list.getAttribute('data-index') || 'search/';
    var more = document.getElementById('search-more');
    var filters = document.getElementById('search-filters');
    var columnSelect = document.getElementById('search-column');
    var brandSelect = document.getElementById('search-brand');
    var searcher = new Searcher(xhrLoad(root));
    var serial = 0, timer = null, current = null, shown = 0, facets = null, lastText = null;
    // Coming back from a story: this history entry's saved query, filters, results shown and
    // scroll position (the results are drawn after the page loads, too late for the browser to
    // put the reader back where they were).
    var saved = window.history && history.state && typeof history.state.q === 'string' ? history.state : null;
    var restore = null;

    function say(text) { status.textContent = text; }

    function fillFilters() {
      var meta = searcher.meta;
      if (!filters || !meta || columnSelect.options.length > 1) return;
      meta.columns.forEach(function (c, i) { columnSelect.appendChild(new Option(c[0], String(i))); });
      meta.brands.forEach(function (b, i) {
        var depth = 0, p = b[1];
        while (p >= 0 && depth < 8) { depth++; p = meta.brands[p][1]; }
        brandSelect.appendChild(new Option(new Array(depth + 1).join('　') + b[0], String(i)));
      });
    }

    function filtering() {
      return (columnSelect && columnSelect.value !== '') || (brandSelect && brandSelect.value !== '');
    }

    // The hits that pass the column and brand filters (a brand includes its sub-brands).
    function filtered(hits) {
      if (!filtering() || !facets) return hits;
      var column = columnSelect.value === '' ? -1 : +columnSelect.value;
      var brand = brandSelect.value === '' ? -1 : +brandSelect.value, brands = searcher.meta.brands;
      return hits.filter(function (hit) {
        var combo = facets.combos[facets.docs[hit.doc]];
        if (column >= 0 && combo[1].indexOf(column) < 0) return false;
        if (brand >= 0) {
          var b = combo[0], depth = 0;
          while (b >= 0 && b !== brand && depth++ < 16) b = brands[b][1];
          if (b !== brand) return false;
        }
        return true;
      });
    }

    function render(result, hits) {
      var query = result.normalized;
      var quoted = '“' + input.value.replace(/^\s+|\s+$/g, '') + '”';
      if (!result.hits.length) {
        restore = null;
        say('未找到与' + quoted + '相关的文章。可以换个说法，或少输入几个字再试。');
      } else if (filtering()) {
        say('找到 ' + result.hits.length + ' 篇与' + quoted + '相关的文章，筛选后 ' + hits.length + ' 篇。' +
            (hits.length ? '' : '未找到符合筛选条件的文章。'));
      } else {
        say('找到 ' + result.hits.length + ' 篇与' + quoted + '相关的文章。');
      }
      if (filters) filters.hidden = !result.hits.length;
      showMore(hits, query, 0);
    }

    function showMore(hits, query, from) {
      var count = restore ? Math.max(restore.shown, searcher.meta.page) : searcher.meta.page;
      var mine = serial, page = hits.slice(from, from + count);
      if (more) more.hidden = true;
      searcher.records(page.map(function (h) { return h.doc; }), function (err, records) {
        if (mine !== serial) return;
        if (err) {
          // Retrying must stay possible on a flaky phone network: the same query submitted again
          // runs again, and a failed 加载更多 stays on screen to be tapped again.
          if (from === 0) {
            lastText = null;
            list.textContent = '';  // not the last query's results under this query's message
          } else if (more) {
            more.hidden = false;
          }
          return say('搜索结果加载失败，请检查网络后重试。');
        }
        if (from === 0) list.textContent = '';
        var meta = searcher.meta;
        records.forEach(function (r) {
          var item = el('li', 'search-result'), link = el('a', 'search-result-link');
          link.href = r.u;
          highlighted(link.appendChild(el('span', 'search-result-title')), r.t, query, r.f);
          item.appendChild(link);
          var info = el('p', 'search-result-meta');
          info.appendChild(el('time', '', r.d));
          var names = r.c.map(function (c) { return meta.columns[c][0]; });
          if (r.b >= 0) names.push(meta.brands[r.b][0]);
          if (names.length) info.appendChild(document.createTextNode(' · ' + names.join(' · ')));
          item.appendChild(info);
          highlighted(item.appendChild(el('p', 'search-result-excerpt')), excerpt(r.x, query, r.f), query, r.f);
          list.appendChild(item);
        });
        shown = from + page.length;
        if (restore) {
          window.scrollTo(0, restore.y);
          restore = null;
        }
        remember();
        if (more) more.hidden = shown >= hits.length;
        if (more) more.textContent = '加载更多（还有 ' + (hits.length - shown) + ' 篇）';
      });
    }

    function run() {
      var text = input.value, mine = ++serial;
      if (text === lastText) return;
      lastText = text;
      if (restore && restore.q !== text) restore = null;
      replaceHistory(null, location.pathname + (text ? '?q=' + encodeURIComponent(text) : ''));
      searcher.search(text, function (err, result) {
        if (mine !== serial) return;
        if (err) {
          lastText = null;
          return say('搜索索引加载失败，请检查网络后重试。');
        }
        fillFilters();
        current = result;
        if (result.state !== 'ok') {
          restore = null;
          list.textContent = '';
          if (more) more.hidden = true;
          if (filters) filters.hidden = true;
          return say(result.state === 'punct' ? '请输入文字或数字：只有标点符号无法搜索。' : '请输入要查找的文字，例如村名、人名或工作法。');
        }
        render(result, filtered(result.hits));
      });
    }

    // Safari throws after 100 calls in 30 seconds: the address or the saved place may then lag,
    // but the search goes on.
    function replaceHistory(state, url) {
      if (!window.history || !history.replaceState) return;
      try { history.replaceState(state, '', url); } catch (e) { /* too many calls */ }
    }

    function remember() {
      replaceHistory({q: input.value, shown: shown, y: window.pageYOffset || 0,
                      column: columnSelect ? columnSelect.value : '', brand: brandSelect ? brandSelect.value : ''},
                     location.href);
    }

    function refilter() {
      if (!current || current.state !== 'ok') return;
      var mine = ++serial;
      var go = function () { if (mine === serial) render(current, filtered(current.hits)); };
      if (facets || !filtering()) return go();
      say('正在筛选……');
      searcher.get('facets.json', 'json', function (err, value) {
        if (err) return say('筛选数据加载失败，请检查网络后重试。');
        facets = value;
        go();
      });
    }

    // Pinyin being typed (an input method's composition, such as "dang'yuan" before it becomes
    // 党员) is not a query: search when the characters are chosen.
    var composing = false;
    function later() {
      clearTimeout(timer);
      timer = setTimeout(run, 150);
    }
    input.addEventListener('compositionstart', function () { composing = true; });
    input.addEventListener('compositionend', function () { composing = false; later(); });
    input.addEventListener('input', function (event) {
      if (!composing && !event.isComposing) later();
    });
    if (form) {
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        clearTimeout(timer);
        run();
        // Out of the box, so that a phone's keyboard closes and shows the results; to the count,
        // so that a screen reader reads it and Tab goes on to the first result.
        status.setAttribute('tabindex', '-1');
        status.focus();
      });
    }
    if (more) {
      more.addEventListener('click', function () {
        if (current) showMore(filtered(current.hits), current.normalized, shown);
      });
    }
    list.addEventListener('click', remember);
    var scrollTimer = null;
    window.addEventListener('scroll', function () {
      clearTimeout(scrollTimer);
      scrollTimer = setTimeout(function () { if (current && !restore) remember(); }, 300);
    });
    if (columnSelect) columnSelect.addEventListener('change', refilter);
    if (brandSelect) brandSelect.addEventListener('change', refilter);

    input.value = param('q');
    searcher.init(function (err) {
      if (err) return say('搜索索引加载失败，请检查网络后重试。');
      fillFilters();
      if (!input.value) return;
      if (!saved || saved.q !== input.value) return run();
      restore = saved;
      if (columnSelect) columnSelect.value = saved.column || '';
      if (brandSelect) brandSelect.value = saved.brand || '';
      if (!filtering()) return run();
      searcher.get('facets.json', 'json', function (err, value) {
        if (!err) facets = value;
        run();
      });
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})(this);
