// "Paste your error": the site explains an error in the browser, with no server.
//
// The box is put on the home page and on the error catalog's index (/errors/), or into
// any element with id="explain-box". It fetches the site's errors.json (generated from
// data/errors.toml by matrix/core/catalog.py `catalog_json`) and applies the same rules
// as `plugin-matrix explain` (matrix/diagnose/classify.py), step by step: unwrap the
// text, find each line's class, group the hits into errors, first one first. The Python
// side narrows whole logs with literal "gates" first; that only saves time and changes no
// answer, so it is not needed here. tests/test_browser_explain.py feeds every text of the
// public error corpus to this box and checks it answers what the CLI answers.
(function () {
  "use strict";

  // ------------------------------------------------------------ the rules, as data

  function jsRegex(source, flags) {
    // Python's named groups (?P<name>...) are (?<name>...) in JavaScript; the catalog
    // allows nothing else that differs (tests/test_catalog_slugs.py checks it).
    return new RegExp(source.replace(/\(\?P</g, "(?<"), flags || "");
  }

  // one character class of the characters `translate` replaces (each a BMP character)
  function translator(map) {
    var keys = Object.keys(map);
    if (!keys.length) return null;
    return new RegExp("[" + keys.map(function (k) {
      return "\\u" + ("0000" + k.charCodeAt(0).toString(16)).slice(-4);
    }).join("") + "]", "g");
  }

  function compile(doc) {
    var u = doc.unwrap;
    var rx = function (s) { return jsRegex(s); };
    var rules = {
      doc: doc,
      strip: jsRegex(u.strip, "g"),
      translateMap: u.translate || {},
      translate: translator(u.translate || {}),
      decodeWhen: rx(u.decode_when),
      decode: jsRegex(u.decode, "g"),
      decodeMap: u.decode_map,
      prefixes: u.prefixes.map(rx),
      splits: u.splits.map(function (s) { return jsRegex(s, "g"); }),
      gap: u.gap,
      maxLine: u.max_line,
      placeholders: u.placeholders,
      ws: u.whitespace,
      maxViews: u.max_views,
      maxPrefixRounds: u.max_prefix_rounds,
      frames: u.frames || "",
      wholeLogFrom: u.whole_log_from,
      contextLines: u.context_lines,
      maxLineShown: u.max_line_shown,
      classes: [],
      bySlug: {},
      fallbacks: [],
      stages: doc.stages.map(function (s) { return { name: s.name, pats: s.patterns.map(rx), commands: (s.commands || []).map(rx) }; }),
      hosts: doc.hosts.map(function (h) { return { name: h.name, stage: h.stage || null, pats: h.patterns.map(rx) }; }),
    };
    var alts = function (list) {
      return (list || []).map(function (a) {
        return {
          when: a.when ? rx(a.when) : null, slug: a["class"], why: a.why, check: a.check,
          evidence: a.evidence ? rx(a.evidence) : null, evidenceWhy: a.evidence_why || null,
        };
      });
    };
    doc.classes.forEach(function (c) {
      var cls = {
        slug: c.slug, title: c.title, stage: c.stage, url: c.url, cause: c.cause, fix: c.fix,
        generic: !!c.generic, repeats: !!c.repeats, follows: c.follows || null,
        families: c.families || {},
        pats: c.patterns.map(rx), unless: (c.unless || []).map(rx),
        header: c.patterns.map(function (p) { return (c.headers || []).indexOf(p) >= 0; }),
        alternatives: alts(c.alternatives),
        contexts: (c.contexts || []).map(function (x) {
          return { when: x.when ? rx(x.when) : null, host: x.host || null, fix: x.fix };
        }),
      };
      rules.classes.push(cls);
      rules.bySlug[c.slug] = cls;
    });
    rules.fallbacks = doc.fallbacks.map(function (f) {
      return { slug: f["class"], stage: f.stage || null, why: f.why, pats: f.patterns.map(rx), unless: (f.unless || []).map(rx), alternatives: alts(f.alternatives) };
    });
    rules.words = doc.words || null;
    return rules;
  }

  // ------------------------------------------------------------ the words model (rule 8)

  var HEX_RUN = /^(?:0[xX][0-9A-Fa-f]+|[0-9A-Fa-f]{8,})$/;

  // The class the words of a text are most like, when no line of it had a hit; else null.
  function guess(R, text) {
    var W = R.words;
    if (!W) return null;
    var seen = {}, run = /[A-Za-z0-9_]+/g, m, k = 0;
    while ((m = run.exec(text)) !== null) {
      if (k++ >= W.max_runs) break;
      if (HEX_RUN.test(m[0])) continue;
      m[0].split(/[0-9]+/).forEach(function (p) {
        if (p.length >= W.min_word && p.length <= W.max_word) seen[p.toLowerCase()] = true;
      });
    }
    var s = W.bias.slice();
    Object.keys(seen).forEach(function (w) {
      var ws = Object.prototype.hasOwnProperty.call(W.weights, w) ? W.weights[w] : null;
      if (ws) for (var i = 0; i < s.length; i++) s[i] += ws[i];
    });
    var best = 0;
    for (var i = 1; i < s.length; i++) if (s[i] > s[best]) best = i;
    var u = W.classes.indexOf("unknown"), slug = W.classes[best], cls = R.bySlug[slug];
    if (u < 0 || slug === "unknown" || s[best] - s[u] < W.margin) return null;
    if (!cls || cls.stage === "fallback") return null;
    // the next class, when nearly as likely: an alternative if the catalog can tell the two apart
    var nxt = -1;
    for (var j = 0; j < s.length; j++) {
      var c2 = R.bySlug[W.classes[j]];
      if (j === best || j === u || !c2 || c2.stage === "fallback") continue;
      if (nxt < 0 || s[j] > s[nxt]) nxt = j;
    }
    var second = nxt >= 0 && s[nxt] > s[u] && s[best] - s[nxt] < W.margin ? W.classes[nxt] : null;
    return { cls: cls, second: second };
  }

  // A guess's next class as its alternative, with the command of the catalog's pair of them.
  function secondAlt(R, cls, second) {
    if (!second) return [];
    var pair = cls.alternatives.filter(function (a) { return a.slug === second; })
      .concat(R.bySlug[second].alternatives.filter(function (a) { return a.slug === cls.slug; }));
    if (!pair.length) return [];
    return [{ slug: second, why: R.words.second_why, check: fill(R, pair[0].check, {}) }];
  }

  // ------------------------------------------------------------ reading the text

  function strip(s, ws) {
    var a = 0, b = s.length;
    while (a < b && ws.indexOf(s.charAt(a)) >= 0) a++;
    while (b > a && ws.indexOf(s.charAt(b - 1)) >= 0) b--;
    return s.slice(a, b);
  }

  // Python's str.splitlines: these all end a line; a last empty line is no line.
  function splitlines(text) {
    var out = text.split(/\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/);
    if (out.length && out[out.length - 1] === "") out.pop();
    return out;
  }

  // Python counts code points, JavaScript UTF-16 units: count as Python does.
  function cpLength(s) {
    var n = s.length;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        var d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { n--; i++; }
      }
    }
    return n;
  }

  function stripPrefixes(R, s) {
    s = strip(s, R.ws);
    for (var round = 0; round < R.maxPrefixRounds; round++) {
      var cut = false;
      for (var i = 0; i < R.prefixes.length; i++) {
        var m = R.prefixes[i].exec(s);
        if (m && m.index + m[0].length > 0) {
          s = strip(s.slice(m.index + m[0].length), R.ws);
          cut = true;
          break;
        }
      }
      if (!cut) break;
    }
    return s;
  }

  function views(R, s) {
    var out = [stripPrefixes(R, s)];
    for (var i = 0; i < R.splits.length; i++) {
      var rx = R.splits[i];
      rx.lastIndex = 0;
      var m;
      while ((m = rx.exec(s)) !== null) {
        var end = m.index + m[0].length;
        if (m[0].length === 0) rx.lastIndex++;
        // a `keep` group: the view keeps what it matched (it starts that long before the end)
        var keep = m.groups && m.groups.keep !== undefined ? m.groups.keep.length : 0;
        var v = stripPrefixes(R, s.slice(end - keep));
        if (v && out.indexOf(v) < 0) {
          out.push(v);
          if (out.length >= R.maxViews) return out;
        }
      }
    }
    return out;
  }

  function pieces(R, line) {
    var n = R.maxLine;
    if (line.length <= n && cpLength(line) <= n) return [line];
    var cps = Array.from(line);
    if (cps.length <= n) return [line];
    var step = n - Math.floor(n / 10), out = [];
    for (var i = 0; i < cps.length - Math.floor(n / 10); i += step) out.push(cps.slice(i, i + n).join(""));
    return out;
  }

  function decoded(R, s) {
    return s.replace(R.decode, function () {
      var groups = Array.prototype.slice.call(arguments, 1, -2);
      var key = null;
      for (var i = 0; i < groups.length; i++) if (groups[i] !== undefined) { key = groups[i]; break; }
      if (key === null || typeof key !== "string") return arguments[0];
      return Object.prototype.hasOwnProperty.call(R.decodeMap, key) ? R.decodeMap[key] : arguments[0];
    }).split("\n");
  }

  function parts(R, line) {
    var out = [];
    pieces(R, line).forEach(function (piece) {
      if (R.decodeWhen.test(piece)) out = out.concat(decoded(R, piece));
      out.push(piece); // after its decoded lines
    });
    return out.filter(function (p) { return strip(p, R.ws) !== ""; });
  }

  // ------------------------------------------------------------ hits and errors

  function namedGroups(m) {
    var out = {};
    if (m && m.groups) {
      Object.keys(m.groups).forEach(function (k) { if (m.groups[k]) out[k] = m.groups[k]; });
    }
    return out;
  }

  function anyMatch(rx, vs) {
    for (var i = 0; i < vs.length; i++) if (rx.test(vs[i])) return true;
    return false;
  }

  function whenGroups(rx, vs) {
    var out = {};
    if (!rx) return out;
    vs.forEach(function (v) {
      var g = namedGroups(rx.exec(v));
      Object.keys(g).forEach(function (k) { if (!(k in out)) out[k] = g[k]; });
    });
    return out;
  }

  function fill(R, template, groups) {
    return template.replace(/\{([a-z]+)\}/g, function (all, k) {
      return groups[k] || R.placeholders[k] || all;
    });
  }

  function packageFamily(pkg) {
    if (!pkg) return null;
    if (pkg === "sigs.k8s.io/kustomize" || pkg.indexOf("sigs.k8s.io/kustomize/") === 0) return "kustomize module";
    if (pkg.split("/")[0].indexOf(".") < 0) return "standard library";
    return "third-party";
  }

  function Scan(R, text) {
    this.R = R;
    R.strip.lastIndex = 0;
    if (text.indexOf("\x1b") >= 0) text = text.replace(R.strip, "");
    this.wholeLog = cpLength(text) >= R.wholeLogFrom;
    // a paste (a web page's spaces and quotes); a whole log is a program's output, read as it is
    if (R.translate && !this.wholeLog) text = text.replace(R.translate, function (c) { return R.translateMap[c]; });
    this.raw = splitlines(text);
    this.linesCache = {};
    this.marksCache = {};
  }

  Scan.prototype.linesOf = function (i) {
    var got = this.linesCache[i];
    if (!got) {
      var R = this.R;
      got = parts(R, this.raw[i]).map(function (part, k) {
        return { lineno: i + 1, order: [i, k], src: part, views: views(R, part) };
      });
      this.linesCache[i] = got;
    }
    return got;
  };

  Scan.prototype.hit = function (ln) {
    var R = this.R;
    for (var c = 0; c < R.classes.length; c++) {
      var cls = R.classes[c];
      if (cls.stage === "fallback") continue;
      var skip = false;
      for (var p = 0; p < cls.pats.length && !skip; p++) {
        for (var v = 0; v < ln.views.length; v++) {
          var m = cls.pats[p].exec(ln.views[v]);
          if (m) {
            var unless = cls.unless.some(function (u) { return anyMatch(u, ln.views); });
            if (unless) { skip = true; break; }
            // a generic class's line may be a fallback of another stage's (a crash in a build)
            var staged = cls.generic ? fallbacksOf(R, ln, true) : [];
            return { line: ln, slug: cls.slug, fallbacks: staged, match: m, view: ln.views[v], header: cls.header[p] };
          }
        }
      }
    }
    var fbs = fallbacksOf(R, ln, false);
    return fbs.length ? { line: ln, slug: null, fallbacks: fbs, match: null, view: null } : null;
  };

  // The fallbacks (their indexes) whose patterns match a view of ln; staged: only those of a stage.
  function fallbacksOf(R, ln, staged) {
    var fbs = [];
    R.fallbacks.forEach(function (fb, k) {
      if ((fb.stage !== null || !staged) && fb.pats.some(function (p) { return anyMatch(p, ln.views); }) &&
          !fb.unless.some(function (p) { return anyMatch(p, ln.views); })) fbs.push(k);
    });
    return fbs;
  }

  function byOrder(a, b) {
    return a.line.order[0] - b.line.order[0] || a.line.order[1] - b.line.order[1];
  }

  Scan.prototype.hits = function () {
    var out = [];
    for (var i = 0; i < this.raw.length; i++) {
      if (strip(this.raw[i], this.R.ws) === "") continue;
      var lines = this.linesOf(i);
      for (var j = 0; j < lines.length; j++) {
        var h = this.hit(lines[j]);
        if (h) out.push(h);
      }
    }
    if (!this.wholeLog) out = out.concat(this.joinedHits(out)).sort(byOrder);
    return out;
  };

  function continues(R, ln) {
    var src = strip(ln.src, R.ws), text = ln.views[0];
    if (src === text) return true;
    if (src.length < text.length || src.slice(src.length - text.length) !== text) return false;
    var frame = src.slice(0, src.length - text.length).replace(/[ \t]+$/, "");
    return frame.length > 0 && R.frames.indexOf(frame.charAt(frame.length - 1)) >= 0;
  }

  // Two or three neighbouring lines that only match together (a message a terminal
  // wrapped): two first, three when two give no hit.
  var JOIN_LINES = 3;

  Scan.prototype.joinedHits = function (hits) {
    var R = this.R, taken = {}, out = [];
    hits.forEach(function (h) { taken[h.line.lineno] = true; });
    for (var i = 0; i < this.raw.length - 1; i++) {
      for (var k = 2; k <= JOIN_LINES; k++) {
        if (i + k > this.raw.length) break;
        var run = [], ok = true;
        for (var j = 0; j < k; j++) {
          if (taken[i + j + 1]) { ok = false; break; }
          var ls = this.linesOf(i + j);
          if (ls.length !== 1) { ok = false; break; }
          run.push(ls[0]);
        }
        // a line with log framing (a timestamp, a file:line prefix...) starts a new record:
        // it does not continue the line before it, unless the framing ends in a box's frame
        if (!ok || !continues(R, run[k - 1])) break;
        var h = this.joinedHit(i, run);
        if (h) {
          out.push(h);
          for (var t = 1; t < k; t++) taken[i + t + 1] = true;
          break;
        }
      }
    }
    return out;
  };

  // each join with a space, else without (the first join's choice varying slowest)
  Scan.prototype.joinedHit = function (i, run) {
    var n = run.length - 1;
    for (var c = 0; c < (1 << n); c++) {
      var joined = run[0].views[0];
      for (var j = 0; j < n; j++) joined += ((c >> (n - 1 - j)) & 1 ? "" : " ") + run[j + 1].views[0];
      var h = this.hit({ lineno: i + 1, order: [i, 0], src: joined, views: views(this.R, joined) });
      if (h && h.slug !== null) return h;
    }
    return null;
  };

  function firstMarker(markers, vs) {
    for (var i = 0; i < markers.length; i++) {
      for (var p = 0; p < markers[i].pats.length; p++) {
        if (anyMatch(markers[i].pats[p], vs)) return markers[i].name;
      }
    }
    return null;
  }

  // [the stage line i shows, the hosts it shows in catalog order]
  Scan.prototype.marks = function (i) {
    var got = this.marksCache[i];
    if (!got) {
      var stage = null, hosts = [], R = this.R;
      if (i >= 0 && i < this.raw.length && this.raw[i]) {
        this.linesOf(i).forEach(function (ln) {
          stage = stage || firstMarker(R.stages, ln.views);
          R.hosts.forEach(function (h) {
            if (hosts.indexOf(h) < 0 && h.pats.some(function (p) { return anyMatch(p, ln.views); })) hosts.push(h);
          });
        });
      }
      got = [stage, R.hosts.filter(function (h) { return hosts.indexOf(h) >= 0; })];
      this.marksCache[i] = got;
    }
    return got;
  };

  Scan.prototype.context = function (first, last, what, stage) {
    var R = this.R, self = this, end = Math.min(this.raw.length, last + R.gap), i, got;
    var look = function (j) {
      if (what === 0) return self.marks(j)[0];
      var hs = self.marks(j)[1].filter(function (h) { return h.stage === null || h.stage === stage; });
      return hs.length ? hs[0].name : null;
    };
    for (i = first - 1; i < end; i++) { got = look(i); if (got) return got; }
    if (what === 0) return this.commandStage(first - 2);
    for (var d = 1; d <= R.contextLines; d++) { got = look(first - 1 - d); if (got) return got; }
    for (i = end; i < Math.min(this.raw.length, end + R.contextLines); i++) { got = look(i); if (got) return got; }
    return null;
  };

  // the stage of the command line a stretch is the output of: the nearest non-blank line
  // at or before line i, read against the stages' commands
  Scan.prototype.commandStage = function (i) {
    while (i >= 0 && strip(this.raw[i], this.R.ws) === "") i--;
    if (i < 0) return null;
    var views = [];
    this.linesOf(i).forEach(function (ln) { views = views.concat(ln.views); });
    for (var k = 0; k < this.R.stages.length; k++) {
      var mk = this.R.stages[k];
      if (mk.commands.some(function (p) { return anyMatch(p, views); })) return mk.name;
    }
    return null;
  };

  function pkgOf(h) { return (h.match && namedGroups(h.match)["package"]) || null; }
  function norm(h) { return (h.view !== null ? h.view : h.line.views[0]).replace(/[0-9]+/g, "#"); }

  Scan.prototype.runErrors = function (run, stage) {
    var R = this.R, by = R.bySlug, specific = [], keyed = {}, generic = [], leads = [];
    var later = function (a, b) { return a[0] - b[0] || a[1] - b[1]; };
    run.forEach(function (h) {
      if (h.slug !== null && h.header && !by[h.slug].generic) {
        leads.push(h);  // a specific class's header (`# runtime/cgo`): the lines after it say more
      } else if (h.slug !== null && !by[h.slug].generic) {
        var key = h.slug + "\u0000" + pkgOf(h);
        if (keyed[key]) { keyed[key].hits.push(h); keyed[key].count++; }
        else { keyed[key] = { slug: h.slug, first: h, hits: [h], fallback: null, count: 1, stage: stage }; specific.push(keyed[key]); }
      } else if (h.slug !== null) {
        // a generic class's line in a stretch of another stage is that stage's fallback
        // (the go command crashing is the build failing), when it has one
        var other = stage !== null && by[h.slug].stage !== stage, fk = null;
        for (var j = 0; j < h.fallbacks.length && other && fk === null; j++) {
          if (R.fallbacks[h.fallbacks[j]].stage === stage) fk = h.fallbacks[j];
        }
        generic.push(fk === null ? [h, h.slug, null] : [h, R.fallbacks[fk].slug, fk]);
      } else {
        for (var i = 0; i < h.fallbacks.length; i++) {
          var fb = R.fallbacks[h.fallbacks[i]];
          if (fb.stage === null || fb.stage === stage) { generic.push([h, fb.slug, h.fallbacks[i]]); break; }
        }
      }
    });
    // a header with nothing after it in the stretch is its class's error (earlier lines join it)
    var last = run[run.length - 1].line.order;
    leads = leads.filter(function (h) {
      if (later(h.line.order, last) < 0) return true;
      var key = h.slug + "\u0000" + pkgOf(h);
      if (keyed[key]) keyed[key].hits.push(h);
      else { keyed[key] = { slug: h.slug, first: h, hits: [h], fallback: null, count: 1, stage: stage }; specific.push(keyed[key]); }
      return false;
    });
    var loose = [], looseBy = {};
    // headers last: a header joins the error next to it, of any class, when its own stage has none
    generic = generic.filter(function (g) { return !g[0].header; }).concat(generic.filter(function (g) { return g[0].header; }));
    generic.forEach(function (g) {
      var h = g[0], slug = g[1], own = by[slug].stage;
      var near = specific.filter(function (e) { return own === "fallback" || by[e.slug].stage === own; });
      if (!near.length && h.header) near = specific.concat(loose);
      // a line another fallback's error also matched joins it (a panic's goroutine dump
      // joins the panic that the program raised itself)
      var kin = g[2] === null ? null : loose.filter(function (e) { return e.first.fallbacks.indexOf(g[2]) >= 0; })[0] || null;
      if (near.length) {
        var dist = function (e) { return Math.min.apply(null, e.hits.map(function (x) { return Math.abs(x.line.lineno - h.line.lineno); })); };
        var best = near[0];
        near.forEach(function (e) { if (dist(e) < dist(best)) best = e; });
        best.hits.push(h);
      } else if (looseBy[slug]) {
        looseBy[slug].hits.push(h);
      } else if (kin) {
        kin.hits.push(h);
      } else {
        looseBy[slug] = { slug: slug, first: h, hits: [h], fallback: g[2], count: 1, stage: stage };
        loose.push(looseBy[slug]);
      }
    });
    var found = specific.concat(loose);
    // a specific class's header with lines after it joins the first error after it (of any
    // class: what those lines say is the cause), else the error next to it
    leads.forEach(function (h) {
      var after = found.filter(function (e) { return later(e.first.line.order, h.line.order) > 0; });
      if (!after.length) after = found;
      if (after.length) {
        var dist = function (e) { return Math.abs(e.first.line.order[0] - h.line.order[0]); };
        var best = after[0];
        after.forEach(function (e) { if (dist(e) < dist(best)) best = e; });
        best.hits.push(h);
      } else {  // the lines after it made no error of this stage
        found.push({ slug: h.slug, first: h, hits: [h], fallback: null, count: 1, stage: stage });
      }
    });
    return found;
  };

  Scan.prototype.dropRepeats = function (found) {
    var by = this.R.bySlug;
    var firsts = found.filter(function (e) { return !by[e.slug].repeats && !by[e.slug].generic; });
    return found.filter(function (err) {
      if (!by[err.slug].repeats) return true;
      var pkg = pkgOf(err.first);
      var same = firsts.filter(function (e) { return by[e.slug].stage === by[err.slug].stage; });
      var dup = same.some(function (e) { return pkgOf(e.first) === pkg; }) || (pkg === null && same.length > 0);
      return !dup;
    });
  };

  Scan.prototype.rank = function (errors) {
    var by = this.R.bySlug, firsts = false;
    errors.forEach(function (e) {
      if (!by[e.slug].repeats && !by[e.slug].generic) firsts = true;
    });
    var before = function (a, b) { return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]); };
    // an error that follows a stage comes after that stage's errors printed before it
    var firstOf = {};  // each stage's first error (not a repeat)
    errors.forEach(function (e) {
      var st = by[e.slug].stage;
      if (!by[e.slug].repeats && (!firstOf[st] || before(e.first.line.order, firstOf[st]))) firstOf[st] = e.first.line.order;
    });
    var late = function (e) {
      var c = by[e.slug], cause = c.follows !== null ? firstOf[c.follows] : null;
      return (c.repeats && firsts) || (cause && before(cause, e.first.line.order)) ? 1 : 0;
    };
    return errors.slice().sort(function (a, b) {
      return late(a) - late(b) || a.first.line.order[0] - b.first.line.order[0] || a.first.line.order[1] - b.first.line.order[1];
    });
  };

  Scan.prototype.answer = function (err) {
    var R = this.R, cls = R.bySlug[err.slug], first = err.first;
    var linenos = err.hits.map(function (h) { return h.line.lineno; });
    var stage = cls.stage !== "fallback" ? cls.stage : err.stage;
    var host = this.context(Math.min.apply(null, linenos), Math.max.apply(null, linenos), 1, stage);
    var groups = namedGroups(first.match);
    var vs = [];
    err.hits.forEach(function (h) { vs = vs.concat(h.line.views); });
    var fb = err.fallback !== null ? R.fallbacks[err.fallback] : null;
    var offered = fb ? fb.alternatives : cls.alternatives;
    var why = fb ? fb.why : null;
    var alts = [];
    var shown = this.shown(offered, vs, groups, Math.min.apply(null, linenos), Math.max.apply(null, linenos));
    if (shown) {  // the paste shows what the message alone cannot: the other class
      var sg = Object.assign({}, whenGroups(shown.when, vs), groups);
      alts.push({ slug: cls.slug, why: MESSAGE_ALONE, check: fill(R, shown.check, sg) });
      cls = R.bySlug[shown.slug];
      why = shown.evidenceWhy;
    } else {
      offered.forEach(function (a) {
        if (a.when && !anyMatch(a.when, vs)) return;
        if (alts.some(function (x) { return x.slug === a.slug; })) return;
        var g = Object.assign({}, whenGroups(a.when, vs), groups);
        alts.push({ slug: a.slug, why: fill(R, a.why, g), check: fill(R, a.check, g) });
      });
    }
    var fixes = cls.contexts.filter(function (x) {
      return (x.host === null || x.host === host) && (x.when === null || anyMatch(x.when, vs));
    }).map(function (x) { return fill(R, x.fix, Object.assign({}, whenGroups(x.when, vs), groups)); });
    var pkg = groups["package"] || null;
    return {
      slug: cls.slug, title: cls.title, url: cls.url, cause: cls.cause, fix: cls.fix,
      package: pkg, family: packageFamily(pkg), familyHint: pkg ? (cls.families[packageFamily(pkg)] || null) : null,
      line: Array.from(first.line.views[0]).slice(0, R.maxLineShown).join(""), lineno: first.line.lineno,
      count: err.count, stage: stage, host: host,
      alternatives: alts, fixes: fixes, why: why,
    };
  };

  // How far (in lines, either side) the evidence for an alternative is looked for.
  var EVIDENCE_LINES = 50;
  var MESSAGE_ALONE = "what the message alone says; the text around it shows otherwise";

  function fileName(path) {
    var parts = path.trim().replace(/[\/\\]+$/, "").split(/[\/\\]/);
    return parts[parts.length - 1];
  }

  // Whether `raw` names the file `name` itself: not a longer name (`x.so` for `x`) nor a
  // directory of that name (`x/`).
  var NAME_CHAR = /[A-Za-z0-9_.-]/;
  function namesFile(raw, name) {
    for (var i = raw.indexOf(name); i >= 0; i = raw.indexOf(name, i + 1)) {
      var j = i + name.length;
      var before = i ? raw.charAt(i - 1) : " ";
      var after = j < raw.length ? raw.charAt(j) : " ";
      if (!NAME_CHAR.test(before) && !NAME_CHAR.test(after) && after !== "/" && after !== "\\") return true;
    }
    return false;
  }

  // The alternative whose `evidence` a line near the error shows for the error's file.
  Scan.prototype.shown = function (alts, vs, groups, first, last) {
    var name = fileName(groups.path || "");
    if (!name) return null;
    var near = this.raw.slice(Math.max(0, first - 1 - EVIDENCE_LINES), last + EVIDENCE_LINES);
    var naming = near.filter(function (raw) { return namesFile(raw, name); }); // read once, not per alternative
    if (!naming.length) return null;
    for (var i = 0; i < alts.length; i++) {
      var a = alts[i];
      if (!a.evidence || (a.when && !anyMatch(a.when, vs))) continue;
      for (var k = 0; k < naming.length; k++) {
        if (a.evidence.test(naming[k])) return a;
      }
    }
    return null;
  };

  Scan.prototype.errors = function () {
    var R = this.R, runs = [];
    this.hits().forEach(function (h) {
      var last = runs.length ? runs[runs.length - 1] : null;
      if (last && h.line.lineno - last[last.length - 1].line.lineno <= R.gap) last.push(h);
      else runs.push([h]);
    });
    var found = [], self = this;
    runs.forEach(function (run) {
      var stage = self.context(run[0].line.lineno, run[run.length - 1].line.lineno, 0);
      found = found.concat(self.runErrors(run, stage));
    });
    var merged = [], mergedBy = {};
    this.dropRepeats(found).forEach(function (err) {
      var key = err.slug + "\u0000" + pkgOf(err.first) + "\u0000" + norm(err.first);
      if (mergedBy[key]) mergedBy[key].count += err.count;
      else { mergedBy[key] = err; merged.push(err); }
    });
    return this.rank(merged).map(function (e) { return self.answer(e); });
  };

  function unknownAnswer(R, text) {
    var g = guess(R, text), guessed = g ? g.cls : null, cls = guessed || R.bySlug.unknown;
    R.strip.lastIndex = 0;
    var lines = splitlines(text.replace(R.strip, "")).map(function (l) { return strip(l, R.ws); }).filter(Boolean);
    var line = null;
    for (var i = 0; i < lines.length; i++) {
      if (lines[i].indexOf("Error:") === 0 || lines[i].toLowerCase().indexOf("error") >= 0) { line = lines[i]; break; }
    }
    if (line === null && lines.length) line = lines[0];
    if (line !== null) line = Array.from(line).slice(0, R.maxLineShown).join("");
    return {
      slug: cls.slug, title: cls.title, url: cls.url, cause: cls.cause, fix: cls.fix, package: null, family: null,
      familyHint: null, line: line, lineno: null, count: 1, stage: guessed ? cls.stage : null, host: null,
      alternatives: g ? secondAlt(R, g.cls, g.second) : [], fixes: [], why: guessed ? R.words.why : null, guessed: !!guessed,
    };
  }

  // Every error of the text, the first first (the unknown answer when it holds none).
  function explainAll(R, text) {
    var found = new Scan(R, text).errors();
    return found.length ? found : [unknownAnswer(R, text)];
  }

  // ------------------------------------------------------------ the box

  var scriptSrc = (document.currentScript && document.currentScript.src) || "";
  var siteRoot = scriptSrc.replace(/javascripts\/explain\.js(\?.*)?$/, "");
  var rulesPromise = null;

  function loadRules() {
    if (!rulesPromise) {
      rulesPromise = fetch(siteRoot + "errors.json")
        .then(function (r) { if (!r.ok) throw new Error("errors.json: HTTP " + r.status); return r.json(); })
        .then(compile);
    }
    return rulesPromise;
  }

  function pageUrl(slug, anchor) { return siteRoot + "errors/" + slug + "/" + (anchor ? "#" + anchor : ""); }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  function renderAnswer(a, i, n) {
    var box = el("div", {
      "class": "pm-explain-answer",
      "data-class": a.slug,
      "data-package": a.package || "",
      "data-guessed": a.guessed ? "1" : "",
    });
    var head = n > 1 ? "Error " + (i + 1) + " of " + n + (a.lineno ? " (line " + a.lineno + ")" : "") + ": " : "";
    box.appendChild(el("p", { "class": "pm-explain-class" }, [
      head, el("a", { href: pageUrl(a.slug), text: a.title }), " ", el("code", { text: a.slug }),
    ]));
    if (a["package"]) box.appendChild(el("p", {}, ["Package: ", el("code", { text: a["package"] }), " (" + a.family + ")"]));
    if (a.line) box.appendChild(el("p", {}, [a.slug === "unknown" || a.guessed ? "Text: " : "Matched: ", el("code", { text: a.line })]));
    if (a.host || a.stage) box.appendChild(el("p", { text: [a.host && "Host: " + a.host, a.stage && "stage: " + a.stage].filter(Boolean).join(", ") }));
    if (a.why) box.appendChild(el("p", { text: a.why }));
    var fixes = a.fixes.concat([a.fix], a.familyHint ? [a.familyHint] : []);
    box.appendChild(el("p", {}, [el("strong", { text: "Fix: " }), fixes.join(" ")]));
    box.appendChild(el("p", {}, [
      el("a", { href: pageUrl(a.slug, "cause"), text: "Cause" }), " · ",
      el("a", { href: pageUrl(a.slug, "fix"), text: "Fix" }), " · ",
      el("a", { href: pageUrl(a.slug, a.slug === "unknown" ? "report" : "observed"), text: a.slug === "unknown" ? "Report it" : "Where the matrix saw it" }),
    ]));
    if (a.alternatives.length) {
      var ul = el("ul", { "class": "pm-explain-alternatives" });
      a.alternatives.forEach(function (x) {
        ul.appendChild(el("li", { "data-class": x.slug }, [
          "Or ", el("a", { href: pageUrl(x.slug), text: x.slug }), ": " + x.why + ". Tell them apart: ", el("code", { text: x.check }),
        ]));
      });
      box.appendChild(ul);
    }
    return box;
  }

  function mount(target) {
    var area = el("textarea", {
      "class": "pm-explain-text", rows: "6", spellcheck: "false",
      "aria-label": "Paste a kustomize / Go plugin error (a message or a whole log)",
      placeholder: "Paste a kustomize or Go plugin error here (a message or a whole log)",
    });
    var button = el("button", { type: "button", "class": "md-button md-button--primary pm-explain-go", text: "Explain" });
    var out = el("div", { "class": "pm-explain-result", "aria-live": "polite" });
    var box = el("div", { "class": "pm-explain", id: target.id || "explain-box" }, [
      el("p", { "class": "pm-explain-title" }, [el("strong", { text: "Paste your error" }), " — explained here in your browser, nothing is sent anywhere."]),
      area, el("p", {}, [button]), out,
    ]);
    target.replaceWith(box);
    function go() {
      var text = area.value;
      out.textContent = "";
      out.removeAttribute("data-done");
      if (!text.trim()) { out.setAttribute("data-done", "empty"); return; }
      loadRules().then(function (R) {
        var answers = explainAll(R, text);
        out.textContent = "";
        answers.forEach(function (a, i) { out.appendChild(renderAnswer(a, i, answers.length)); });
        out.setAttribute("data-done", "1");
      }).catch(function (e) {
        out.textContent = "Could not read the error catalog (" + e.message + "): use `plugin-matrix explain` instead.";
        out.setAttribute("data-done", "error");
      });
    }
    button.addEventListener("click", go);
    area.addEventListener("keydown", function (e) { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) go(); });
  }

  function where() {
    var root = siteRoot ? new URL(siteRoot, window.location.href).pathname : "/";
    var path = window.location.pathname;
    return path.indexOf(root) === 0 ? path.slice(root.length) : path;
  }

  function init() {
    var spot = document.getElementById("explain-box");
    if (!spot) {
      var page = where().replace(/index\.html$/, "");
      if (page !== "" && page !== "errors/") return;
      var h1 = document.querySelector("article h1, .md-content h1");
      if (!h1) return;
      spot = el("div", { id: "explain-box" });
      var next = h1.nextElementSibling;
      // after the page's first paragraph, so the page still starts with what it is
      if (next && next.tagName === "P") next.after(spot); else h1.after(spot);
    }
    mount(spot);
  }

  window.pluginMatrixExplain = { compile: compile, explainAll: explainAll, loadRules: loadRules };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
