// a block filter's id (random: schema-only), then no changes yet
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter"}
<< {"jsonrpc":"2.0","id":1,"result":"0x7f8926116412dc28b32a03ef0557e217"}
>> {"jsonrpc":"2.0","id":2,"method":"eth_getFilterChanges","params":["0x7f8926116412dc28b32a03ef0557e217"]}
<< {"jsonrpc":"2.0","id":2,"result":[]}
>> {"jsonrpc":"2.0","id":3,"method":"eth_uninstallFilter","params":["0x7f8926116412dc28b32a03ef0557e217"]}
<< {"jsonrpc":"2.0","id":3,"result":true}
