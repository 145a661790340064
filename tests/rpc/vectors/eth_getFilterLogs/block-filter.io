// a block filter has no logs: -32001
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter"}
<< {"jsonrpc":"2.0","id":1,"result":"0xdde83c87f19391381af4fe5a87c9da0c"}
>> {"jsonrpc":"2.0","id":2,"method":"eth_getFilterLogs","params":["0xdde83c87f19391381af4fe5a87c9da0c"]}
<< {"jsonrpc":"2.0","id":2,"error":{"code":-32001,"message":"log filter not found"}}
