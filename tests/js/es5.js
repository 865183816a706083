// Parses each script named on the command line as an ES5 classic script (what old WeChat
// in-app browsers run); prints the file and position of the first syntax it does not know.
'use strict';
const fs = require('fs');
const acorn = require('acorn');
let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    acorn.parse(fs.readFileSync(file, 'utf8'), {ecmaVersion: 5, sourceType: 'script'});
  } catch (error) {
    console.log(`${file}: ${error.message}`);
    failed += 1;
  }
}
process.exit(failed ? 1 : 0);
