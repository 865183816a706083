// Run by tests/test_search.py through `node --test`: the cases file (ZL_SEARCH_CASES) holds what
// the Python side computed; this checks that themes/default/static/js/search.js agrees.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

// The theme's source, or (ZL_SEARCH_JS) the minified copy a build wrote to output/static/js/.
const core = require(process.env.ZL_SEARCH_JS || '../../themes/default/static/js/search.js');
const cases = JSON.parse(fs.readFileSync(process.env.ZL_SEARCH_CASES, 'utf8'));

test('drop and punctuation ranges are the ones search/normalization.py uses', () => {
  assert.deepEqual(core.DROP, cases.drop);
  assert.deepEqual(core.PUNCT, cases.punct);
});

test('the tokeniser gives the same tokens as search/reader.py', () => {
  for (const fixture of cases.tokens) {
    assert.deepEqual(core.tokens(fixture.text, cases.t2s), fixture.expected, JSON.stringify(fixture.text));
    assert.equal(core.searchable(core.normalize(fixture.text, cases.t2s)), fixture.searchable, fixture.text);
  }
});

function fileLoader(root) {
  return (url, kind, callback) => {
    const file = path.join(root, url.split('?')[0]);
    fs.readFile(file, (err, data) => {
      if (err) return callback(err.code === 'ENOENT' ? {missing: true} : err);
      if (kind === 'bin') return callback(null, data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      callback(null, JSON.parse(data.toString('utf8')));
    });
  };
}

test('queries through the built index find exactly the stories that contain them, in order', async () => {
  const searcher = new core.Searcher(fileLoader(path.join(cases.output, 'search')));
  for (const query of cases.queries) {
    const result = await new Promise((resolve, reject) =>
      searcher.search(query.q, (err, value) => (err ? reject(err) : resolve(value))));
    assert.equal(result.state, query.state, JSON.stringify(query.q));
    assert.deepEqual(result.hits.map((h) => h.doc), query.ranked, JSON.stringify(query.q));
    assert.deepEqual(result.hits.map((h) => h.doc).sort((a, b) => a - b), query.expected, JSON.stringify(query.q));
  }
});

test('shard postings decode as search/indexformat.py wrote them (sparse, dense, escaped values)', () => {
  for (const shard of cases.shards) {
    const bytes = Buffer.from(shard.data, 'base64');
    const reader = new core.Shard(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), 1);
    for (const key of Object.keys(shard.expected)) {
      const found = reader.find([+key]);
      const got = {};
      for (const doc of Object.keys(found)) got[doc] = found[doc];
      assert.deepEqual(got, shard.expected[key]);
    }
  }
});
