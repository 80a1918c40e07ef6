//! The `/_litevite/status` page: one self-contained HTML document (no external assets)
//! that renders the status JSON and refreshes itself every two seconds.

use serde_json::Value;

/// The page with `status` embedded, so the first paint needs no extra request.
pub fn render(status: &Value) -> String {
    // `</` inside the embedded JSON must not close the <script> element.
    let data = status.to_string().replace("</", "<\\/");
    PAGE.replace("__DATA__", &data)
}

const PAGE: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>litevite-gw status</title>
<style>
:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--fg:#1c2230;--muted:#687285;--line:rgba(127,127,127,.2);--up:#2f9e44;--down:#e03131;--unknown:#adb5bd;--accent:#646cff}
@media (prefers-color-scheme:dark){:root{--bg:#12141a;--card:#1b1e27;--fg:#e4e7ee;--muted:#98a1b3}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;align-items:center;gap:1rem;flex-wrap:wrap;padding:1rem 1.5rem;border-bottom:1px solid var(--line);background:var(--card)}
header h1{font-size:1.1rem;margin:0}header .meta{color:var(--muted)}
.badge{padding:.15rem .6rem;border-radius:999px;font-weight:600;font-size:.8rem;color:#fff}
.badge.up{background:var(--up)}.badge.down{background:var(--down)}.badge.unknown{background:var(--unknown)}
main{padding:1.25rem 1.5rem;display:grid;gap:1.25rem;grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1rem 1.15rem;min-width:0}
section h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 .75rem}
.up-card{border-left:4px solid var(--unknown);padding:.6rem .8rem;margin-bottom:.75rem;border-radius:8px;background:rgba(127,127,127,.06)}
.up-card.up{border-left-color:var(--up)}.up-card.down{border-left-color:var(--down)}
.up-card .row{display:flex;justify-content:space-between;align-items:center;gap:.5rem}
.up-card .name{font-weight:700;font-size:1rem}.small{color:var(--muted);font-size:.85rem}
.err{color:var(--down);font-size:.85rem;margin-top:.25rem}
.history{display:flex;gap:2px;margin-top:.5rem;height:14px}.history span{flex:1;max-width:8px;border-radius:2px;background:var(--up)}.history span.f{background:var(--down)}
table{width:100%;border-collapse:collapse;font-size:.85rem}td,th{padding:.3rem .4rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
td.path{white-space:normal;word-break:break-all;font-family:ui-monospace,Menlo,monospace}
.s2{color:var(--up)}.s3{color:var(--accent)}.s4{color:#e8590c}.s5{color:var(--down)}
pre{margin:0;overflow:auto;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;background:rgba(127,127,127,.08);padding:.75rem;border-radius:8px;max-height:24rem}
.run{display:flex;gap:.6rem;padding:.3rem 0;border-bottom:1px solid var(--line);font-size:.85rem}.run .g{font-weight:600;min-width:6.5rem}
.ok{color:var(--up)}.bad{color:var(--down)}.wide{grid-column:1/-1}h3{font-size:.85rem;margin:.75rem 0 .35rem}
</style></head>
<body>
<header><h1>litevite-gw</h1><span id="ready" class="badge unknown">…</span><span class="meta" id="meta"></span></header>
<main>
<section><h2>Upstreams</h2><div id="upstreams"></div></section>
<section><h2>Recent requests</h2><div id="requests"></div></section>
<section><h2>Code generation</h2><div id="codegen"></div></section>
<section><h2>Routing table</h2><pre id="routes"></pre></section>
<section class="wide"><h2 id="config-title">Config</h2><pre id="config"></pre></section>
</main>
<script id="data" type="application/json">__DATA__</script>
<script>
(function(){
var esc=function(s){return String(s==null?"":s).replace(/[&<>"']/g,function(c){return {"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c];});};
var ago=function(t){var s=Math.max(0,Date.now()/1000-t);return s<60?Math.round(s)+" s ago":s<3600?Math.round(s/60)+" min ago":Math.round(s/3600)+" h ago";};
var dur=function(s){return s<60?s.toFixed(0)+" s":s<3600?(s/60).toFixed(0)+" min":(s/3600).toFixed(1)+" h";};
function render(d){
  var r=document.getElementById("ready");r.textContent=d.ready?"ready":"not ready";r.className="badge "+(d.ready?"up":"down");
  document.getElementById("meta").textContent="v"+d.version+" · "+d.mode+" mode · "+d.public_url+" · up "+dur(d.uptime_seconds);
  document.getElementById("upstreams").innerHTML=d.upstreams.map(function(u){
    var hist=u.history.map(function(ok){return '<span'+(ok?'':' class="f"')+'></span>';}).join("");
    var err=u.state!=="up"&&(u.unavailable||u.last_error)?'<div class="err">'+esc(u.unavailable||u.last_error)+'</div><div class="small">Next step: '+esc(u.next_step)+'</div>':"";
    return '<div class="up-card '+u.state+'"><div class="row"><span class="name">'+esc(u.name)+'</span><span class="badge '+u.state+'">'+u.state+'</span></div>'+
      '<div class="small">'+esc(u.address||"no address")+' · '+esc(u.via)+' · '+u.state+' for '+dur(u.for_seconds)+(u.required?" · required":"")+'</div>'+err+
      '<div class="history" title="last health checks, oldest first">'+hist+'</div></div>';
  }).join("");
  var req=d.recent_requests, names=Object.keys(req);
  document.getElementById("requests").innerHTML=names.length?names.map(function(n){
    return '<h3>'+esc(n)+'</h3><table><tr><th>when</th><th>method</th><th>status</th><th>ms</th><th>path</th></tr>'+req[n].slice(0,8).map(function(x){
      return '<tr><td>'+ago(x.at)+'</td><td>'+esc(x.method)+'</td><td class="s'+String(x.status).charAt(0)+'">'+x.status+'</td><td>'+x.ms.toFixed(1)+'</td><td class="path">'+esc(x.path)+'</td></tr>';}).join("")+'</table>';
  }).join(""):'<div class="small">No requests yet.</div>';
  document.getElementById("codegen").innerHTML=d.codegen.length?d.codegen.map(function(c){
    return '<div class="run"><span class="g">'+esc(c.generator)+'</span><span class="'+(c.ok?"ok":"bad")+'">'+(c.ok?"ok":"error")+'</span><span>'+esc(c.message)+'</span><span class="small">'+c.ms.toFixed(1)+' ms · '+ago(c.at)+'</span></div>';
  }).join(""):'<div class="small">No runs yet.</div>';
  document.getElementById("routes").textContent=d.routing_table;
  document.getElementById("config-title").textContent="Config · "+d.config.path;
  document.getElementById("config").textContent=d.config.text||"(empty file: every default applies)";
}
render(JSON.parse(document.getElementById("data").textContent));
setInterval(function(){fetch(location.pathname,{headers:{Accept:"application/json"},cache:"no-store"}).then(function(r){return r.json();}).then(render).catch(function(){});},2000);
})();
</script>
</body></html>
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_json_cannot_close_the_script_element() {
        let page =
            render(&serde_json::json!({"config": {"text": "</script><script>alert(1)</script>"}}));
        assert!(!page.contains("</script><script>alert"));
        assert!(page.contains("<\\/script>"));
    }
}
