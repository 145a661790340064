// a malformed value: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":[{"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","value":1}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: value must be a 0x-prefixed hex number without leading zeros, got 1"}}
