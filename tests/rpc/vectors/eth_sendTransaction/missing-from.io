// from is required: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendTransaction","params":[{"to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","value":"0x1"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: from is required"}}
