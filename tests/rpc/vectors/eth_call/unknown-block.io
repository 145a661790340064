// at an unknown block: -32001
>> {"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x0000000000000000000000000000000000000801","data":"0x18160ddd"},"0x99"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"block 0x99 not found"}}
