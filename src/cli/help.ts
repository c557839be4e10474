/**
 * The text of `reqivo --help` (docs/cli.md is the long form).
 * @module
 */

/** Help text, one screen. */
export const HELP = `usage: reqivo [METHOD] URL [ITEM ...]
       reqivo ws URL [Header:value ...]

A friendly HTTP/1.1, HTTP/2 and WebSocket client (the command line of reqivo).

URL      http://host/path, host:port/path (http:// is implied), :3000/path (localhost)
METHOD   GET by default, POST when there is data

ITEM
  Header:value      request header          Header:   remove a default header
  Header:@file      header value from a file
  param==value      query parameter
  field=value       JSON string field (form field with --form)
  field:=json       raw JSON field          field:=@file   raw JSON from a file
  field=@file       string field from a file
  field@file        file upload (multipart)
  @file  =@file     raw body from a file    @-   raw body from stdin
  (piped stdin is the body unless --ignore-stdin; escape a separator with \\)

Body
  -j, --json        data items as a JSON object (default)
  -f, --form        data items as application/x-www-form-urlencoded
  --multipart       data items as multipart/form-data

Output
  -p, --print=HBhb  H request head, B request body, h response head, b response body
  -v, --verbose     print the request too (-p HBhb)
  -h, --headers     response head only       -b, --body   response body only
  --pretty=all|colors|format|none   (default: all on a terminal, none when piped; NO_COLOR)
  -S, --stream      print the body as it arrives (SSE and NDJSON stream by themselves)
  --json-lines      read the body as newline-delimited JSON
  -q, --quiet       print nothing
  --timings         print the phases of the exchange to stderr

Download
  -d, --download    save the body to a file, with a progress bar on a terminal
  -o, --output=FILE the file (default: Content-Disposition or the URL's name)
  -c, --continue    resume a partial download (Range)

Auth and sessions
  -a, --auth=USER:PASS | TOKEN     -A, --auth-type=basic|digest|bearer
  --session=NAME|PATH   keep cookies, auth and headers between calls
  --session-read-only   use a session without updating it

Network
  -F, --follow      follow redirects          --max-redirects=N (default 30)
  --timeout=SECONDS (0: none)                 --http2 | --http1
  --proxy=URL | none (default: http_proxy / HTTPS_PROXY / NO_PROXY, as curl)
  --verify=yes|no|CA_FILE   --cert=FILE --cert-key=FILE   --pin=sha256/BASE64 (repeatable)
  --offline         print the request, send nothing
  -I, --ignore-stdin

WebSocket (reqivo ws URL)
  lines from stdin are sent; messages are printed with direction and time;
  Ctrl-D or Ctrl-C closes with 1000.  --binary  send lines as binary
  --protocol=NAME (repeatable) or Sec-WebSocket-Protocol:a,b   offer subprotocols

Exit status
  0 ok   1 error   2 timeout or usage   3/4/5 HTTP 3xx/4xx/5xx with --check-status
  6 too many redirects   130 interrupted
  --check-status    exit by the status as above       --debug   stack traces on errors

  --help  --version
`;
